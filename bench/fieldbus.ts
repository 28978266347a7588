import mqtt from "mqtt";
import { decodePayload, encodePayload } from "../common/sparkplug.js";
import { Hub } from "../gateway/hub/hub.js";
import { sparkplugSourceSchema } from "../sensors/sparkplug/schema.js";
import { SparkplugSource } from "../sensors/sparkplug/sparkplugSource.js";
import { Mosquitto } from "../test/helpers/mosquitto.js";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const METRICS_PER_MESSAGE = 10;

export interface FieldbusResult {
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

export async function fieldbus(messages: number): Promise<FieldbusResult> {
  return { sparkplug: await sparkplug(messages) };
}

export function fieldbusSection(r: FieldbusResult): string {
  const s = r.sparkplug;
  return `## Field buses

- **Sparkplug B** (${s.messages} DDATA messages of ${s.metricsPerMessage} alias-only Double metrics, QoS 0, local Mosquitto):
  wachter's host (decode, sequence and alias tracking, hub) **${s.gatewayPerSec.toFixed(0)} messages/s**
  (${((s.gatewayPerSec * s.metricsPerMessage) / 1000).toFixed(0)} k readings/s), ${s.cpuPer1000.toFixed(2)} % of a core per 1000 messages/s. Baselines in the
  same run: a bare mqtt.js subscriber that only counts ${s.bareCountPerSec.toFixed(0)}/s (${s.bareCountCpuPer1000.toFixed(2)} %), one that also
  decodes with the Tahu codec ${s.bareDecodePerSec.toFixed(0)}/s (${s.bareDecodeCpuPer1000.toFixed(2)} %); ratio to the counting subscriber
  ${(s.bareCountPerSec / s.gatewayPerSec).toFixed(2)}× (all include the publisher in the same process).`;
}
