import mqtt from "mqtt";
import { Hub } from "../gateway/hub/hub.js";
import { MqttSource, mqttSourceSchema } from "../sensors/index.js";
import { LineIngest } from "../sensors/serial/lineIngest.js";
import { Mosquitto } from "../test/helpers/mosquitto.js";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

export interface IngestResult {
  serial: { megabytes: number; lines: number; gatewayMBps: number; gatewayReadingsPerSec: number; baselineMBps: number; cpuPer1000: number; baselineCpuPer1000: number };
  mqtt: { messages: number; gatewayPerSec: number; baselinePerSec: number; cpuPer1000: number; baselineCpuPer1000: number };
}

const cpuMs = (f: () => void): number => {
  const t0 = process.cpuUsage();
  f();
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1000;
};

/** CPU ms per reading × 1000 readings/s = ms of CPU per second = % of one core × 10. */
const per1000 = (cpu: number, readings: number) => ((cpu / readings) * 1000) / 10;

function serial(megabytes: number): IngestResult["serial"] {
  const fields = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`c${i}`, { channel: `ch${i}`, unit: "°C", scale: 1, offset: 0 }]));
  const lines: string[] = [];
  let size = 0;
  for (let n = 0; size < megabytes * 1024 * 1024; n++) {
    const line = `${Array.from({ length: 20 }, (_, i) => `c${i}=${(20 + i + (n % 100) / 10).toFixed(2)}`).join(" ")}\n`;
    lines.push(line);
    size += line.length;
  }
  const data = Buffer.from(lines.join(""));
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += 4096) chunks.push(data.subarray(i, i + 4096));

  const hub = new Hub(quiet, 100);
  const sink = hub.sinkFor("board");
  for (let i = 0; i < 20; i++) sink.channel({ id: `ch${i}`, name: `ch${i}`, unit: "°C", source: "board", staleAfterMs: 10_000 });
  const ingest = new LineIngest({ type: "kv" }, fields, sink);
  let t = performance.now();
  const cpu = cpuMs(() => {
    for (const c of chunks) ingest.push(c);
  });
  const seconds = (performance.now() - t) / 1000;
  const readings = hub.sourceStates()[0].readings;

  // Baseline: the least a parser must do: split lines and fields, turn text into numbers.
  let parsed = 0;
  t = performance.now();
  const baseCpu = cpuMs(() => {
    for (const line of data.toString("utf8").split("\n")) {
      for (const token of line.split(" ")) {
        const eq = token.indexOf("=");
        if (eq > 0 && Number.isFinite(Number(token.slice(eq + 1)))) parsed++;
      }
    }
  });
  const baseSeconds = (performance.now() - t) / 1000;
  return {
    megabytes,
    lines: lines.length,
    gatewayMBps: megabytes / seconds,
    gatewayReadingsPerSec: readings / seconds,
    baselineMBps: megabytes / baseSeconds,
    cpuPer1000: per1000(cpu, readings),
    baselineCpuPer1000: per1000(baseCpu, parsed),
  };
}

async function viaMqtt(messages: number): Promise<IngestResult["mqtt"]> {
  const broker = new Mosquitto();
  await broker.start();
  const publisher = await mqtt.connectAsync(broker.url);
  const publishAll = async () => {
    for (let i = 0; i < messages; i++) {
      publisher.publish(`plant/m${i % 20}/temperature`, (20 + (i % 100) / 10).toFixed(2));
      if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
    }
  };
  try {
    // wachter: MqttSource → hub (topic matching, payload validation, channel registry).
    const hub = new Hub(quiet, 100);
    const source = new MqttSource(mqttSourceSchema.parse({ id: "plant", type: "mqtt", url: broker.url, topics: [{ filter: "plant/+/temperature", channel: "plant.{1}" }] }), hub.sinkFor("plant"), quiet);
    source.start();
    while (hub.sourceStates()[0]?.status.state !== "up") await new Promise((r) => setTimeout(r, 20));
    let t0 = performance.now();
    let c0 = process.cpuUsage();
    await publishAll();
    while (hub.sourceStates()[0].readings < messages) await new Promise((r) => setTimeout(r, 5));
    let d = process.cpuUsage(c0);
    const gatewaySeconds = (performance.now() - t0) / 1000;
    const gatewayCpu = (d.user + d.system) / 1000;
    await source.stop();

    // Baseline: a bare mqtt.js subscriber that only counts.
    const sub = await mqtt.connectAsync(broker.url);
    let count = 0;
    sub.on("message", () => count++);
    await sub.subscribeAsync("plant/+/temperature");
    t0 = performance.now();
    c0 = process.cpuUsage();
    await publishAll();
    while (count < messages) await new Promise((r) => setTimeout(r, 5));
    d = process.cpuUsage(c0);
    const baseSeconds = (performance.now() - t0) / 1000;
    await sub.endAsync();
    // Both runs include the publisher's own CPU in this process; the difference is the ingest path.
    return {
      messages,
      gatewayPerSec: messages / gatewaySeconds,
      baselinePerSec: messages / baseSeconds,
      cpuPer1000: per1000(gatewayCpu, messages),
      baselineCpuPer1000: per1000((d.user + d.system) / 1000, messages),
    };
  } finally {
    await publisher.endAsync();
    await broker.stop();
  }
}

export async function ingest(megabytes: number, messages: number): Promise<IngestResult> {
  return { serial: serial(megabytes), mqtt: await viaMqtt(messages) };
}
