import { closeSync, constants, openSync, writeSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../test/helpers/browser.js";
import { API_TOKEN, GatewayProcess } from "../test/helpers/gateway.js";
import { NetNs } from "../test/helpers/netns.js";
import { PtyPair } from "../test/helpers/socat.js";
import { drive, sampleValue } from "./pacing.js";
import { asPercent, cpuTicks, rssMb } from "./proc.js";
import { matchLatencies, summarize, type LatencyStats, type Matched } from "./stats.js";
import { benchFields } from "./telemetryLatency.js";

const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;

/** What one slow viewer may cost the others: their telemetry p95 changes by less than this (issue 16). */
const TARGET_CHANGE = 0.1;
const SLOW_KBIT = 300;
const PORT = 8080;

export interface SlowViewerResult {
  fastViewers: number;
  slowKbit: number;
  channels: number;
  rateHz: number;
  rounds: number;
  /** Per phase and round. */
  seconds: number;
  /** The fast viewers' telemetry latency, pooled, while the slow viewer's link is unthrottled and throttled. */
  without: LatencyStats;
  with: LatencyStats;
  /** The slow viewer's own telemetry latency: it pays for its link itself. */
  slow: LatencyStats;
  /** What the slow viewer received, kbit/s: its link's rate, less what the gateway skipped. */
  slowKbitReceived: number;
  /** The gateway's CPU (% of one core) and resident memory at the end, per kind of phase. */
  cpu: { without: number; with: number };
  rssMb: { without: number; with: number };
  /** The machine's 1-minute load average over the phases, and its cores: latency means little on a saturated machine. */
  loadAverage: number;
  cores: number;
}

/**
 * A viewer as the dashboard is: the video track, the radiometric frames and telemetry, in a
 * namespace of its own behind a veth pair to the gateway's; records when each `bench.c0` arrives.
 */
async function openViewer(browser: Browser, gatewayAddress: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`http://${gatewayAddress}:${PORT}/healthz`);
  await page.evaluate(async (token) => {
    const w = window as unknown as { arrivals: Array<[number, number]>; pc: RTCPeerConnection };
    w.arrivals = [];
    const pc = new RTCPeerConnection();
    w.pc = pc;
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.ontrack = (e) => {
      const video = document.createElement("video");
      video.muted = true;
      video.srcObject = new MediaStream([e.track]);
      document.body.append(video);
      void video.play();
    };
    pc.createDataChannel("thermal", { ordered: false, maxRetransmits: 0 });
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
    if (res.status !== 201) throw new Error(`WHEP answered ${res.status}: ${await res.text()}`);
    await pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
    await opened;
  }, API_TOKEN);
  return page;
}

const received = (page: Page) => page.evaluate(async () => {
  let bytes = 0;
  for (const r of (await (window as unknown as { pc: RTCPeerConnection }).pc.getStats()).values()) if (r.type === "transport") bytes += r.bytesReceived;
  return bytes;
});

/** A namespace for viewers joined to the gateway's by a veth pair `name`gw/`name`vw on 10.238.`net`.0/24. */
async function viewerNet(gateway: NetNs, name: string, net: number): Promise<NetNs> {
  const ns = await NetNs.bare();
  await gateway.exec(`ip link add ${name}gw type veth peer name ${name}vw netns ${ns.pid} && ip addr add 10.238.${net}.1/24 dev ${name}gw && ip link set ${name}gw up`);
  await ns.exec(`ip addr add 10.238.${net}.2/24 dev ${name}vw && ip link set ${name}vw up && ip route add default via 10.238.${net}.1`);
  return ns;
}

/**
 * `fastViewers` viewers on an unthrottled link and one more whose link is, in every other phase,
 * throttled to 300 kbit/s each way (tbf on both ends of its veth): too little for the video, the
 * frames and the telemetry together. Toggling the throttle rather than the viewer keeps joins
 * and departures (and a throttled goodbye that takes seconds) out of the measurement. Telemetry
 * comes from a serial tty (`channels` channels at `rateHz`, as in the latency bench); the two
 * kinds of phase alternate for `rounds` rounds in the same run, so drift in the machine's load
 * hits both alike.
 */
export async function slowViewer(fastViewers = 4, seconds = 20, rounds = 2, channels = 20, rateHz = 50): Promise<SlowViewerResult> {
  const gatewayNs = await NetNs.bare();
  const fastNs = await viewerNet(gatewayNs, "fast", 1);
  const slowNs = await viewerNet(gatewayNs, "slow", 2);
  const tbf = `tbf rate ${SLOW_KBIT}kbit burst 3000 latency 400ms`;
  const throttle = async (on: boolean) => {
    await gatewayNs.exec(on ? `tc qdisc replace dev slowgw root ${tbf}` : "tc qdisc del dev slowgw root 2>/dev/null || true");
    await slowNs.exec(on ? `tc qdisc replace dev slowvw root ${tbf}` : "tc qdisc del dev slowvw root 2>/dev/null || true");
  };
  const pair = new PtyPair();
  await pair.start();
  const gateway = new GatewayProcess(
    {
      http: { host: "0.0.0.0", port: PORT },
      sources: [
        { id: "board", type: "serial", path: pair.device, baudRate: 921600, format: { type: "kv" }, fields: benchFields(channels) },
        { id: "sim", type: "simulated", rateHz: 5 },
      ],
    },
    gatewayNs,
  ).asDeployed();
  const browsers: Browser[] = [];
  try {
    await gateway.start();
    const fastBrowser = await launchChromium(fastNs.chromiumLauncher());
    const slowBrowser = await launchChromium(slowNs.chromiumLauncher());
    browsers.push(fastBrowser, slowBrowser);
    const fast: Page[] = [];
    for (let i = 0; i < fastViewers; i++) fast.push(await openViewer(fastBrowser, "10.238.1.1"));
    const slow = await openViewer(slowBrowser, "10.238.2.1");
    const runs = { without: [] as Matched[], with: [] as Matched[], slow: [] as Matched[] };
    const cpu = { without: [] as number[], with: [] as number[] };
    const rss = { without: 0, with: 0 };
    const pid = gateway.proc!.child.pid!;
    const loads: number[] = [];
    let slowBytes = 0;
    let slowSeconds = 0;
    for (let round = 0; round < rounds; round++) {
      for (const throttled of round % 2 === 0 ? [false, true] : [true, false]) {
        await throttle(throttled);
        // Let the slow viewer's queue fill (or drain) first.
        await new Promise((r) => setTimeout(r, 3000));
        const pages = [...fast, slow];
        for (const p of pages) await p.evaluate(() => void ((window as unknown as { arrivals: unknown[] }).arrivals = []));
        const bytesBefore = await received(slow);
        const ticks = cpuTicks(pid);
        loads.push(loadavg()[0]);
        // Numbered on from the last phase: a late arrival from it must not match a sample of this one.
        const base = (round * 2 + (throttled ? 1 : 0)) * 1_000_000;
        const fd = openSync(pair.board, constants.O_WRONLY | constants.O_NOCTTY);
        const driven = await drive(seconds, rateHz, (seq) => {
          const values = [`c0=${base + seq}`];
          for (let i = 1; i < channels; i++) values.push(`c${i}=${sampleValue(i, seq)}`);
          writeSync(fd, `${values.join(" ")}\n`);
        });
        closeSync(fd);
        const sent = new Map([...driven].map(([seq, t]) => [base + seq, t]));
        const phase = throttled ? "with" : "without";
        cpu[phase].push(asPercent(cpuTicks(pid) - ticks, seconds + 1));
        rss[phase] = Math.max(rss[phase], rssMb(pid));
        const arrivals = (p: Page) => p.evaluate(() => (window as unknown as { arrivals: Array<[number, number]> }).arrivals);
        for (const p of fast) runs[phase].push(matchLatencies(sent, await arrivals(p)));
        if (throttled) {
          runs.slow.push(matchLatencies(sent, await arrivals(slow)));
          slowBytes += (await received(slow)) - bytesBefore;
          slowSeconds += seconds + 1;
        }
      }
    }
    return {
      fastViewers,
      slowKbit: SLOW_KBIT,
      channels,
      rateHz,
      rounds,
      seconds,
      without: summarize(runs.without),
      with: summarize(runs.with),
      slow: summarize(runs.slow),
      slowKbitReceived: (slowBytes * 8) / 1000 / slowSeconds,
      cpu: { without: mean(cpu.without), with: mean(cpu.with) },
      rssMb: rss,
      loadAverage: mean(loads),
      cores: availableParallelism(),
    };
  } finally {
    for (const b of browsers) await b.close();
    await gateway.stop();
    await pair.unplug();
    for (const ns of [fastNs, slowNs, gatewayNs]) await ns.destroy();
  }
}

export function slowViewerSection(r: SlowViewerResult): string {
  const change = r.with.p95 / r.without.p95 - 1;
  const ms = (x: number) => (Number.isNaN(x) ? "–" : x.toFixed(1));
  const row = (label: string, s: LatencyStats) => `| ${label} | ${s.samples} | ${s.lost} | ${ms(s.p50)} | **${ms(s.p95)}** | ${ms(s.p99)} | ${ms(s.max)} |`;
  return `## A slow viewer

${r.fastViewers} viewers on an unthrottled link and one more whose link is, in alternate phases, throttled
to ${r.slowKbit} kbit/s each way (tbf on both ends of its own veth pair; each side's Chromium is in a
network namespace of its own). Every viewer takes what the dashboard takes: the thermal video
track (600 kbit/s), the radiometric frames and telemetry, which a ${r.slowKbit} kbit/s link cannot carry.
Throttling the same viewer, rather than adding and removing one, keeps joins and slow goodbyes
out of the measurement. Telemetry latency from a serial tty (${r.channels} channels at ${r.rateHz} Hz) to the
page, ms; ${r.rounds} rounds of ${r.seconds} s per phase, alternating in the same run.

| telemetry | samples | lost | p50 | p95 | p99 | max |
|---|---|---|---|---|---|---|
${row("the others, the slow viewer's link unthrottled", r.without)}
${row("the others, the slow viewer at " + r.slowKbit + " kbit/s", r.with)}
${row("the slow viewer itself, throttled", r.slow)}

The others' p95 changed by **${(change * 100).toFixed(1)} %** while one viewer was slow (target: less than
${TARGET_CHANGE * 100} %: ${r.loadAverage > r.cores ? "not shown, see below" : Math.abs(change) < TARGET_CHANGE ? "met" : "missed"}). The slow viewer received ${r.slowKbitReceived.toFixed(0)} kbit/s. Gateway CPU ${r.cpu.without.toFixed(0)} % → ${r.cpu.with.toFixed(0)} % of one core, RSS ${r.rssMb.without.toFixed(0)} → ${r.rssMb.with.toFixed(0)} MB. The machine's load
average during the phases was ${r.loadAverage.toFixed(1)} on ${r.cores} cores${r.loadAverage > r.cores ? ": saturated by other work, so these latencies are mostly queueing for a CPU and say little about what the slow viewer costs the others; measure again on an idle machine" : ""}.${r.slow.lost > r.slow.samples ? ` Most of the slow viewer's own telemetry (${r.slow.lost} of ${r.slow.lost + r.slow.samples} samples) did not arrive within its phase: the gateway sends it the whole video, which does not fit its link, and its telemetry shares the full tbf queue with the video and is dropped with it.` : ""}`;
}
