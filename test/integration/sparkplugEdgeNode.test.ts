import { execFileSync } from "node:child_process";
import { appendFile } from "node:fs/promises";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodePayload, encodePayload, type Payload } from "../../common/sparkplug.js";
import { GatewayProcess } from "../helpers/gateway.js";
import { Mosquitto } from "../helpers/mosquitto.js";
import { freePort, waitFor } from "../helpers/ports.js";
import { PtyPair } from "../helpers/socat.js";

const PEERS = join(import.meta.dirname, "../peers");

/** protoc's own reading of the bytes, from the specification's schema: independent of the Tahu codec. */
function protocDecode(bytes: Buffer): string {
  return execFileSync("protoc", [`--proto_path=${PEERS}`, "--decode=org.eclipse.tahu.protobuf.Payload", "sparkplug_b.proto"], { input: bytes }).toString();
}

interface Seen {
  topic: string;
  type: string;
  device?: string;
  bytes: Buffer;
  payload: Payload;
  qos: number;
  retain: boolean;
}

const bdSeqOf = (p: Payload) => p.metrics.find((m) => m.name === "bdSeq")?.value;

describe("the gateway as a Sparkplug B edge node, checked against the specification's statements", () => {
  const broker = new Mosquitto();
  const pair = new PtyPair();
  let gw: GatewayProcess;
  let host: MqttClient;
  const seen: Seen[] = [];
  const of = (type: string) => seen.filter((m) => m.type === type);

  beforeAll(async () => {
    await broker.start();
    await pair.start();
    host = await mqtt.connectAsync(broker.url, { reconnectPeriod: 200 });
    host.on("message", (topic, bytes, packet) => {
      const [, , type, , device] = topic.split("/");
      seen.push({ topic, type, device, bytes, payload: decodePayload(bytes), qos: packet.qos, retain: packet.retain });
    });
    await host.subscribeAsync("spBv1.0/Plant1/#", { qos: 1 });
    gw = new GatewayProcess({
      name: "Press 7",
      http: { host: "127.0.0.1", port: await freePort() },
      sources: [
        { id: "sim", type: "simulated", rateHz: 50, microphone: false, thermalFps: 1 },
        { id: "board", type: "serial", path: pair.device, format: { type: "kv" }, fields: { t: { channel: "press.bearing", name: "Press bearing" } } },
      ],
      uplink: { sparkplug: { url: broker.url, groupId: "Plant1", interval: "20ms" } },
    });
    await gw.start();
  });

  afterAll(async () => {
    await gw?.stop("SIGKILL");
    await host?.endAsync(true);
    await broker.stop();
    await pair.unplug();
  });

  it("births the node, then each source as a device with every channel, alias, unit and value", async () => {
    await appendFile(pair.board, "t=41.5\n");
    const nbirth = await waitFor("NBIRTH", () => of("NBIRTH")[0]);
    expect(nbirth.topic).toBe("spBv1.0/Plant1/NBIRTH/Press_7");
    // [tck-id-topics-nbirth-seq-num] NBIRTH seq is 0; [tck-id-payloads-nbirth-bdseq] it carries bdSeq;
    // [tck-id-topics-nbirth-rebirth-metric] and Node Control/Rebirth, false.
    const decoded = protocDecode(nbirth.bytes);
    expect(decoded).toMatch(/^seq: 0$/m);
    expect(decoded).toMatch(/name: "bdSeq"\n\s+datatype: 4\n\s+long_value: 0/);
    expect(decoded).toMatch(/name: "Node Control\/Rebirth"\n\s+datatype: 11\n\s+boolean_value: false/);
    const sim = await waitFor("DBIRTH of the simulated machine", () => of("DBIRTH").find((m) => m.device === "sim"));
    const names = sim.payload.metrics.map((m) => m.name);
    expect(names).toContain("spindle.bearing");
    const bearing = sim.payload.metrics.find((m) => m.name === "spindle.bearing")!;
    expect(bearing).toMatchObject({ type: "Double", properties: { engUnit: { value: "°C" } } });
    // Each metric has its latest value, or is_null when the channel has none yet.
    const text = protocDecode(sim.bytes);
    expect((text.match(/^  double_value: /gm) ?? []).length + (text.match(/^  is_null: true$/gm) ?? []).length).toBe(sim.payload.metrics.length);
    expect(text).toContain('string_value: "\\302\\260C"');
    const aliases = sim.payload.metrics.map((m) => m.alias);
    expect(new Set(aliases).size).toBe(aliases.length);
    await waitFor("DBIRTH of the serial board", () => of("DBIRTH").find((m) => m.device === "board"));
  });

  it("sends alias-only DDATA with a sequence that increments by one and wraps from 255 to 0", async () => {
    const sim = of("DBIRTH").find((m) => m.device === "sim")!;
    const alias = sim.payload.metrics.find((m) => m.name === "spindle.bearing")!.alias;
    await waitFor("the sequence to wrap", () => seen.some((m) => m.payload.seq === 255) && seen.filter((m) => m.payload.seq === 0).length >= 2, 30_000, 200);
    const data = of("DDATA").filter((m) => m.device === "sim");
    expect(data.length).toBeGreaterThan(250);
    for (const m of data) for (const metric of m.payload.metrics) expect(metric.name).toBeUndefined();
    expect(data.some((m) => m.payload.metrics.some((x) => x.alias === alias))).toBe(true);
    // [tck-id-payloads-sequence-num-incrementing]: every message after NBIRTH, of any device, is seq + 1 mod 256.
    const sequenced = seen.filter((m) => m.type !== "NDEATH");
    for (let i = 1; i < sequenced.length; i++) expect(sequenced[i].payload.seq, sequenced[i].topic).toBe((sequenced[i - 1].payload.seq! + 1) % 256);
  });

  it("answers an NCMD rebirth with a new NBIRTH (seq 0, the same bdSeq) and DBIRTHs", async () => {
    const births = of("NBIRTH").length;
    await host.publishAsync("spBv1.0/Plant1/NCMD/Press_7", encodePayload({ timestamp: Date.now(), metrics: [{ name: "Node Control/Rebirth", type: "Boolean", value: true }] }));
    const rebirth = await waitFor("the rebirth", () => of("NBIRTH")[births]);
    expect(rebirth.payload.seq).toBe(0);
    // [tck-id-payloads-nbirth-bdseq-repeat] a rebirth in the same MQTT session keeps its bdSeq.
    expect(bdSeqOf(rebirth.payload)).toBe(bdSeqOf(of("NBIRTH")[0].payload));
    await waitFor("DBIRTH after the rebirth", () => seen.slice(seen.indexOf(rebirth)).some((m) => m.type === "DBIRTH" && m.device === "sim"));
  });

  it("sends DDEATH when a source goes down and DBIRTH when it is back", async () => {
    await pair.unplug();
    const ddeath = await waitFor("DDEATH of the board", () => of("DDEATH").find((m) => m.device === "board"), 15_000);
    expect(ddeath.payload.metrics).toEqual([]);
    const birthsBefore = of("DBIRTH").filter((m) => m.device === "board").length;
    await pair.start();
    await appendFile(pair.board, "t=43\n");
    await waitFor("DBIRTH of the board again", () => of("DBIRTH").filter((m) => m.device === "board").length > birthsBefore, 20_000);
  });

  it("on kill -9 the broker delivers the NDEATH will (QoS 1, not retained) with the NBIRTH's bdSeq; the next connect uses bdSeq + 1", async () => {
    const bdSeq = bdSeqOf(of("NBIRTH").at(-1)!.payload);
    await gw.stop("SIGKILL");
    const ndeath = await waitFor("NDEATH", () => of("NDEATH")[0], 10_000);
    // [tck-id-payloads-ndeath-bdseq], [tck-id-payloads-ndeath-will-message-qos], [tck-id-payloads-ndeath-will-message-retain]
    expect(bdSeqOf(ndeath.payload)).toBe(bdSeq);
    expect(protocDecode(ndeath.bytes)).toMatch(/name: "bdSeq"\n\s+datatype: 4\n\s+long_value: 0/);
    expect(ndeath.qos).toBe(1);
    expect(ndeath.retain).toBe(false);
    const births = of("NBIRTH").length;
    await gw.start();
    const next = await waitFor("NBIRTH after the restart", () => of("NBIRTH")[births], 15_000);
    // [tck-id-topics-nbirth-bdseq-increment] kept across the restart in the data directory.
    expect(bdSeqOf(next.payload)).toBe(1);
  });
});

describe("a Sparkplug B edge node that waits for its primary host application", () => {
  const broker = new Mosquitto();
  let gw: GatewayProcess;
  let host: MqttClient;
  const seen: Array<{ type: string; payload: Payload }> = [];
  const count = (type: string) => seen.filter((m) => m.type === type).length;
  const state = (online: boolean) => host.publishAsync("spBv1.0/STATE/scada1", JSON.stringify({ online, timestamp: Date.now() }), { qos: 1, retain: true });

  beforeAll(async () => {
    await broker.start();
    host = await mqtt.connectAsync(broker.url);
    host.on("message", (topic, bytes) => seen.push({ type: topic.split("/")[2], payload: decodePayload(bytes) }));
    await host.subscribeAsync("spBv1.0/Plant1/+/#", { qos: 1 });
    await state(false);
    gw = new GatewayProcess({
      http: { host: "127.0.0.1", port: await freePort() },
      sources: [{ id: "sim", type: "simulated", microphone: false, thermalFps: 0 }],
      uplink: { sparkplug: { url: broker.url, groupId: "Plant1", edgeNodeId: "mill3", primaryHostId: "scada1" } },
    });
    await gw.start();
  });

  afterAll(async () => {
    await gw?.stop();
    await host?.endAsync(true);
    await broker.stop();
  });

  it("births only once the host's STATE says online, and dies (NDEATH) when it goes offline", async () => {
    await waitFor("the edge node connected", () => gw.logs().some((l) => l.msg === "Sparkplug edge node connected"));
    await new Promise((r) => setTimeout(r, 1500));
    expect(count("NBIRTH")).toBe(0);
    await state(true);
    await waitFor("NBIRTH", () => count("NBIRTH") === 1 && count("DBIRTH") === 1);
    await state(false);
    await waitFor("NDEATH", () => count("NDEATH") === 1);
    expect(bdSeqOf(seen.find((m) => m.type === "NDEATH")!.payload)).toBe(bdSeqOf(seen.find((m) => m.type === "NBIRTH")!.payload));
    // It reconnects with the next bdSeq and waits again.
    await waitFor("reconnected", () => gw.logs().filter((l) => l.msg === "Sparkplug edge node connected").length === 2, 10_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(count("NBIRTH")).toBe(1);
    await state(true);
    await waitFor("NBIRTH again", () => count("NBIRTH") === 2);
    expect(bdSeqOf(seen.filter((m) => m.type === "NBIRTH")[1].payload)).toBe(1);
    // It said goodbye itself and disconnected properly: the broker sent no will as a second NDEATH.
    expect(count("NDEATH")).toBe(1);
  });

  it("says goodbye once on a clean stop: its own NDEATH, and no will after it", async () => {
    await gw.stop("SIGTERM");
    await waitFor("NDEATH on stop", () => count("NDEATH") === 2);
    await new Promise((r) => setTimeout(r, 1500));
    expect(count("NDEATH")).toBe(2);
    expect(bdSeqOf(seen.filter((m) => m.type === "NDEATH")[1].payload)).toBe(1);
  });
});
