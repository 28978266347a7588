import mqtt from "mqtt";
import { decodePayload, encodePayload } from "../common/sparkplug.js";
import { Hub } from "../gateway/hub/hub.js";
import { sparkplugSourceSchema } from "../sensors/sparkplug/schema.js";
import { SparkplugSource } from "../sensors/sparkplug/sparkplugSource.js";
import { createRequire } from "node:module";
import { ModbusBus } from "../sensors/modbus/bus.js";
import { pointValue } from "../sensors/modbus/decode.js";
import { modbusSourceSchema, resolvePoints } from "../sensors/modbus/schema.js";
import { ModbusPeer } from "../test/helpers/modbusPeer.js";
import { freePort } from "../test/helpers/ports.js";
import { Mosquitto } from "../test/helpers/mosquitto.js";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const METRICS_PER_MESSAGE = 10;

const POINTS = 50;

export interface FieldbusResult {
  modbus: { requests: number; pointsPerRequest: number; gatewayPerSec: number; libraryPerSec: number; cpuPer1000Points: number; libraryCpuPer1000Points: number };
  sparkplug: { messages: number; metricsPerMessage: number; gatewayPerSec: number; bareCountPerSec: number; bareDecodePerSec: number; cpuPer1000: number; bareCountCpuPer1000: number; bareDecodeCpuPer1000: number };
}

/** CPU % of one core per 1000 messages/s, from CPU ms spent on `n` messages. */
const per1000 = (cpuMs: number, n: number) => ((cpuMs / n) * 1000) / 10;

async function measure(run: () => Promise<void>, messages: number): Promise<{ perSec: number; cpuPer1000: number }> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await run();
  const d = process.cpuUsage(c0);
  return { perSec: messages / ((performance.now() - t0) / 1000), cpuPer1000: per1000((d.user + d.system) / 1000, messages) };
}

/** Sparkplug B DDATA through wachter's host into the hub, against bare mqtt.js subscribers on the same broker in the same run. */
async function sparkplug(messages: number): Promise<FieldbusResult["sparkplug"]> {
  const broker = new Mosquitto();
  await broker.start();
  const node = await mqtt.connectAsync(broker.url);
  const at = Date.now();
  const birth = encodePayload({ timestamp: at, seq: 0, metrics: [{ name: "bdSeq", type: "Int64", value: 0 }] });
  const dbirth = encodePayload({ timestamp: at, seq: 1, metrics: Array.from({ length: METRICS_PER_MESSAGE }, (_, i) => ({ name: `Temperatures/Zone ${i}`, alias: i + 1, type: "Double", value: 200 })) });
  const data = Array.from({ length: 256 }, (_, seq) => encodePayload({ timestamp: at, seq, metrics: Array.from({ length: METRICS_PER_MESSAGE }, (_, i) => ({ alias: i + 1, type: "Double", value: 200 + seq / 10, timestamp: at })) }));
  const publishData = async () => {
    for (let i = 0; i < messages; i++) {
      node.publish("spBv1.0/Bench/DDATA/Line1/Extruder", data[(i + 2) % 256]);
      if (i % 500 === 499) await new Promise((r) => setImmediate(r));
    }
  };
  const until = async (done: () => boolean) => {
    while (!done()) await new Promise((r) => setTimeout(r, 5));
  };
  try {
    const hub = new Hub(quiet, 100);
    const source = new SparkplugSource(sparkplugSourceSchema.parse({ id: "scada", type: "sparkplug", url: broker.url, groups: ["Bench"] }), hub.sinkFor("scada"), quiet);
    source.start();
    await until(() => hub.sourceStates()[0]?.status.state === "up");
    node.publish("spBv1.0/Bench/NBIRTH/Line1", birth);
    node.publish("spBv1.0/Bench/DBIRTH/Line1/Extruder", dbirth);
    await until(() => hub.channelStates().length === METRICS_PER_MESSAGE);
    const readings = () => hub.sourceStates()[0].readings;
    const before = readings();
    const gateway = await measure(async () => {
      await publishData();
      await until(() => readings() - before >= messages * METRICS_PER_MESSAGE);
    }, messages);
    await source.stop();

    const bare = async (decode: boolean) => {
      const sub = await mqtt.connectAsync(broker.url);
      let count = 0;
      sub.on("message", (_topic, payload) => {
        if (decode) decodePayload(payload);
        count++;
      });
      await sub.subscribeAsync("spBv1.0/Bench/#");
      const r = await measure(async () => {
        await publishData();
        await until(() => count >= messages);
      }, messages);
      await sub.endAsync();
      return r;
    };
    const count = await bare(false);
    const decoded = await bare(true);
    return {
      messages,
      metricsPerMessage: METRICS_PER_MESSAGE,
      gatewayPerSec: gateway.perSec,
      bareCountPerSec: count.perSec,
      bareDecodePerSec: decoded.perSec,
      cpuPer1000: gateway.cpuPer1000,
      bareCountCpuPer1000: count.cpuPer1000,
      bareDecodeCpuPer1000: decoded.cpuPer1000,
    };
  } finally {
    await node.endAsync();
    await broker.stop();
  }
}

/**
 * Modbus TCP polls against a real pymodbus server on loopback: wachter's bus (its one-at-a-time
 * queue and timeouts), decoding of 50 float32 points and the hub, against modbus-serial's client
 * alone reading the same 100 registers, in the same run. The Python server bounds both.
 */
async function modbus(requests: number): Promise<FieldbusResult["modbus"]> {
  const port = await freePort();
  const registers = Array.from({ length: 2 * POINTS }, (_, i) => (i % 2 ? 0 : 0x41a0 + i));
  const peer = new ModbusPeer({ tcp: port }, { units: { "1": { holding: { "0": registers } } } });
  await peer.start();
  try {
    const options = modbusSourceSchema.parse({
      id: "plc",
      type: "modbus",
      transport: "tcp",
      host: "127.0.0.1",
      port,
      points: Array.from({ length: POINTS }, (_, i) => ({ channel: `plc.t${i}`, unitId: 1, function: "holding", address: 2 * i, type: "float32" })),
    });
    const points = resolvePoints(options);
    const hub = new Hub(quiet, 100);
    const sink = hub.sinkFor("plc");
    for (const p of points) sink.channel({ id: p.channel, name: p.channel, unit: "°C", source: "plc", staleAfterMs: 10_000 });
    let opened!: () => void;
    const ready = new Promise<void>((r) => (opened = r));
    const bus = new ModbusBus(options, { opened: () => opened(), lost: () => {} }, quiet);
    bus.start();
    await ready;
    const gateway = await measure(async () => {
      for (let i = 0; i < requests; i++) {
        const r = await bus.read(1, "holding", 0, 2 * POINTS);
        if (!r.ok) throw new Error(r.message);
        const ts = Date.now();
        for (const p of points) {
          const v = pointValue(p, 0, r.words, r.bits);
          if (v.ok) sink.reading({ channel: p.channel, value: v.value, ts });
        }
      }
    }, requests);
    await bus.stop();
    if (hub.sourceStates()[0].readings !== requests * POINTS) throw new Error("not every point was read");

    const ModbusRTU = createRequire(import.meta.url)("modbus-serial") as new () => { connectTCP(host: string, o: { port: number }): Promise<void>; setID(id: number): void; readHoldingRegisters(a: number, n: number): Promise<unknown>; close(cb: () => void): void };
    const client = new ModbusRTU();
    await client.connectTCP("127.0.0.1", { port });
    client.setID(1);
    const library = await measure(async () => {
      for (let i = 0; i < requests; i++) await client.readHoldingRegisters(0, 2 * POINTS);
    }, requests);
    await new Promise<void>((r) => client.close(r));
    return {
      requests,
      pointsPerRequest: POINTS,
      gatewayPerSec: gateway.perSec,
      libraryPerSec: library.perSec,
      cpuPer1000Points: gateway.cpuPer1000 / POINTS,
      libraryCpuPer1000Points: library.cpuPer1000 / POINTS,
    };
  } finally {
    await peer.stop();
  }
}

export async function fieldbus(messages: number, requests: number): Promise<FieldbusResult> {
  return { modbus: await modbus(requests), sparkplug: await sparkplug(messages) };
}

export function fieldbusSection(r: FieldbusResult): string {
  const s = r.sparkplug;
  const m = r.modbus;
  return `## Field buses

- **Modbus TCP** (${m.requests} polls of ${m.pointsPerRequest} float32 points = ${2 * m.pointsPerRequest} holding registers each, one request at
  a time, a real pymodbus server on loopback): wachter's bus, decoding and hub **${m.gatewayPerSec.toFixed(0)} polls/s**
  (${((m.gatewayPerSec * m.pointsPerRequest) / 1000).toFixed(0)} k points/s), ${m.cpuPer1000Points.toFixed(2)} % of a core per 1000 points/s (this process only; the Python
  server is the bottleneck). Baseline in the same run, modbus-serial's client alone reading the same
  registers: ${m.libraryPerSec.toFixed(0)} polls/s, ${m.libraryCpuPer1000Points.toFixed(2)} %; ratio ${(m.libraryPerSec / m.gatewayPerSec).toFixed(2)}×. A real RTU bus is far slower
  than either: 8 registers take about 30 ms at 9600 baud.

- **Sparkplug B** (${s.messages} DDATA messages of ${s.metricsPerMessage} alias-only Double metrics, QoS 0, local Mosquitto):
  wachter's host (decode, sequence and alias tracking, hub) **${s.gatewayPerSec.toFixed(0)} messages/s**
  (${((s.gatewayPerSec * s.metricsPerMessage) / 1000).toFixed(0)} k readings/s), ${s.cpuPer1000.toFixed(2)} % of a core per 1000 messages/s. Baselines in the
  same run: a bare mqtt.js subscriber that only counts ${s.bareCountPerSec.toFixed(0)}/s (${s.bareCountCpuPer1000.toFixed(2)} %), one that also
  decodes with the Tahu codec ${s.bareDecodePerSec.toFixed(0)}/s (${s.bareDecodeCpuPer1000.toFixed(2)} %); ratio to the counting subscriber
  ${(s.bareCountPerSec / s.gatewayPerSec).toFixed(2)}× (all include the publisher in the same process).`;
}
