import { closeSync, constants, createReadStream, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import mqtt from "mqtt";
import type { Browser, Page } from "playwright-core";
import { API_TOKEN, GatewayProcess, ROOT } from "../test/helpers/gateway.js";
import { Mosquitto } from "../test/helpers/mosquitto.js";
import { freePort } from "../test/helpers/ports.js";
import { PtyPair } from "../test/helpers/socat.js";
import { dcLatency } from "./dcLatency.js";
import { drive, now, sampleValue } from "./pacing.js";
import { matchLatencies, summarize, type LatencyStats, type Matched } from "./stats.js";

export interface TelemetryLatencyResult {
  channels: number;
  rateHz: number;
  /** Per path, over all rounds. */
  seconds: number;
  rounds: number;
  /** p99 ratio wachter unbatched / MQTT-over-WebSocket of each round on its own. */
  roundRatios: number[];
  /** As configured by default: readings batched for all viewers at most every 100 ms. */
  gateway: LatencyStats;
  /** With `webrtc.telemetryBatch: 0`: a message every event-loop turn that has readings. */
  gatewayUnbatched: LatencyStats;
  mqttWs: LatencyStats;
  /** Just the kernel pty pair and socat: what any program reading the tty pays first. */
  ttyHop: LatencyStats;
  /** Just the WebRTC part: the same batches on a bare data channel from werift, and from libdatachannel. */
  weriftAlone: LatencyStats;
  ndcAlone: LatencyStats;
}

/** One line of the bench board: c0 carries the sample's number, the others sampleValue. */
export function line(seq: number, channels: number): string {
  const values = [`c0=${seq}`];
  for (let i = 1; i < channels; i++) values.push(`c${i}=${sampleValue(i, seq)}`);
  return `${values.join(" ")}\n`;
}

/** A page on the gateway's origin that records when each sequence number arrives on `telemetry`. */
export async function openLatencyPage(browser: Browser, port: number): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${port}/healthz`);
  await page.evaluate(async (token) => {
    const w = window as unknown as { arrivals: Array<[number, number]> };
    w.arrivals = [];
    const pc = new RTCPeerConnection();
    const dc = pc.createDataChannel("telemetry");
    dc.onmessage = (e) => {
      const t = performance.timeOrigin + performance.now();
      const msg = JSON.parse(e.data as string);
      if (msg.t === "readings") for (const [ch, , v] of msg.r) if (ch === "bench.c0") w.arrivals.push([v, t]);
    };
    const opened = new Promise((r) => (dc.onopen = r));
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((r) => setTimeout(r, 300));
    const res = await fetch("/whep", { method: "POST", headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/sdp" }, body: pc.localDescription!.sdp });
    await pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
    await opened;
  }, API_TOKEN);
  return page;
}

/** Writes `seconds` of samples to the board's tty and returns their latency to the page. */
export async function ttyToPage(page: Page, board: string, seconds: number, channels: number, rateHz: number): Promise<Matched> {
  await page.evaluate(() => void ((window as unknown as { arrivals: unknown[] }).arrivals = []));
  const fd = openSync(board, constants.O_WRONLY | constants.O_NOCTTY);
  const sent = await drive(seconds, rateHz, (seq) => writeSync(fd, line(seq, channels)));
  closeSync(fd);
  const arrivals = await page.evaluate(() => (window as unknown as { arrivals: Array<[number, number]> }).arrivals);
  return matchLatencies(sent, arrivals);
}

export const benchFields = (channels: number) => Object.fromEntries(Array.from({ length: channels }, (_, i) => [`c${i}`, { channel: `bench.c${i}` }]));

/** Gateway path: bytes written to a serial tty → gateway → werift data channel → page onmessage. */
async function gatewayPath(browser: Browser, seconds: number, channels: number, rateHz: number, telemetryBatch?: number): Promise<Matched> {
  const pair = new PtyPair();
  await pair.start();
  const port = await freePort();
  const gateway = new GatewayProcess({
    http: { host: "0.0.0.0", port },
    ...(telemetryBatch === undefined ? {} : { webrtc: { telemetryBatch } }),
    sources: [{ id: "board", type: "serial", path: pair.device, baudRate: 921600, format: { type: "kv" }, fields: benchFields(channels) }],
  }).asDeployed();
  await gateway.start();
  const page = await openLatencyPage(browser, port);
  try {
    return await ttyToPage(page, pair.board, seconds, channels, rateHz);
  } finally {
    await page.close();
    await gateway.stop();
    await pair.unplug();
  }
}

/** Baseline: the same samples published to Mosquitto and received by mqtt.js over WebSocket in the page. */
async function mqttWsPath(browser: Browser, seconds: number, channels: number, rateHz: number): Promise<Matched> {
  const broker = new Mosquitto();
  broker.wsPort = await freePort();
  await broker.start();
  const publisher = await mqtt.connectAsync(broker.url);
  const page = await browser.newPage();
  try {
    await page.addScriptTag({ path: join(ROOT, "node_modules/mqtt/dist/mqtt.min.js") });
    await page.evaluate(async (wsUrl) => {
      const w = window as unknown as { arrivals: Array<[number, number]>; mqtt: { connect(url: string): { on(e: string, cb: (...a: unknown[]) => void): void; subscribe(t: string, cb: () => void): void } } };
      w.arrivals = [];
      const client = w.mqtt.connect(wsUrl);
      client.on("message", (_topic, payload) => {
        const t = performance.timeOrigin + performance.now();
        w.arrivals.push([JSON.parse(new TextDecoder().decode(payload as Uint8Array)).c0, t]);
      });
      await new Promise<void>((resolve) => client.on("connect", () => client.subscribe("bench/line", () => resolve())));
    }, `ws://127.0.0.1:${broker.wsPort}`);
    const sent = await drive(seconds, rateHz, (seq) => {
      const values: Record<string, number> = { c0: seq };
      for (let i = 1; i < channels; i++) values[`c${i}`] = sampleValue(i, seq);
      publisher.publish("bench/line", JSON.stringify(values));
    });
    const arrivals = await page.evaluate(() => (window as unknown as { arrivals: Array<[number, number]> }).arrivals);
    return matchLatencies(sent, arrivals);
  } finally {
    await page.close();
    await publisher.endAsync();
    await broker.stop();
  }
}

/** The floor of the serial path: from the write on the board side to a read on the device side. */
async function ttyHop(seconds: number, channels: number, rateHz: number): Promise<Matched> {
  const pair = new PtyPair();
  await pair.start();
  const reader = createReadStream(pair.device, { highWaterMark: 64 * 1024 });
  // Unplugging the pair at the end fails the pending read with EIO; that is expected.
  reader.on("error", () => {});
  const arrivals: Array<[number, number]> = [];
  let rest = "";
  reader.on("data", (chunk) => {
    const t = now();
    const lines = (rest + chunk.toString()).split("\n");
    rest = lines.pop() ?? "";
    for (const l of lines) arrivals.push([Number(/^c0=(\d+)/.exec(l)?.[1]), t]);
  });
  try {
    const fd = openSync(pair.board, constants.O_WRONLY | constants.O_NOCTTY);
    const sent = await drive(seconds, rateHz, (seq) => writeSync(fd, line(seq, channels)));
    closeSync(fd);
    return matchLatencies(sent, arrivals);
  } finally {
    reader.destroy();
    await pair.unplug();
  }
}

/**
 * The paths take turns in `rounds` rounds of `seconds / rounds` each, so that drift in the
 * machine's load (a shared VM) hits every path alike; the samples of all rounds are pooled.
 */
export async function telemetryLatency(browser: Browser, seconds: number, rounds = 1, channels = 20, rateHz = 50): Promise<TelemetryLatencyResult> {
  const runs = { gateway: [] as Matched[], gatewayUnbatched: [] as Matched[], mqttWs: [] as Matched[], ttyHop: [] as Matched[], weriftAlone: [] as Matched[], ndcAlone: [] as Matched[] };
  const roundRatios: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const each = seconds / rounds;
    runs.gateway.push(await gatewayPath(browser, each, channels, rateHz));
    runs.gatewayUnbatched.push(await gatewayPath(browser, each, channels, rateHz, 0));
    runs.mqttWs.push(await mqttWsPath(browser, each, channels, rateHz));
    runs.ttyHop.push(await ttyHop(each, channels, rateHz));
    runs.weriftAlone.push(await dcLatency(browser, "werift", each, channels, rateHz));
    runs.ndcAlone.push(await dcLatency(browser, "node-datachannel", each, channels, rateHz));
    roundRatios.push(summarize(runs.gatewayUnbatched.slice(-1)).p99 / summarize(runs.mqttWs.slice(-1)).p99);
  }
  return {
    channels,
    rateHz,
    seconds,
    rounds,
    roundRatios,
    gateway: summarize(runs.gateway),
    gatewayUnbatched: summarize(runs.gatewayUnbatched),
    mqttWs: summarize(runs.mqttWs),
    ttyHop: summarize(runs.ttyHop),
    weriftAlone: summarize(runs.weriftAlone),
    ndcAlone: summarize(runs.ndcAlone),
  };
}
