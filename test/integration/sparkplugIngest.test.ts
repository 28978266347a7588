import { join } from "node:path";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodePayload, encodePayload } from "../../common/sparkplug.js";
import { SparkplugSource } from "../../sensors/sparkplug/sparkplugSource.js";
import { sparkplugSourceSchema } from "../../sensors/sparkplug/schema.js";
import { Mosquitto } from "../helpers/mosquitto.js";
import { waitFor } from "../helpers/ports.js";
import { Proc } from "../helpers/processes.js";
import { quietLog, recordingHub } from "../helpers/sinkRecorder.js";

const TAHU_NODE = join(import.meta.dirname, "../peers/tahuEdgeNode.cjs");
const ZONE1 = "Line3.Extruder.Temperatures_Barrel_Zone_1";
const births = (p: Proc) => p.stdout.split("\n").filter((l) => l === "birth").length;

describe("Sparkplug B host: wachter ingests an Eclipse Tahu edge node through a real Mosquitto", () => {
  const broker = new Mosquitto();
  const rec = recordingHub();
  let source: SparkplugSource;
  let tahu: Proc;
  let spy: mqtt.MqttClient;
  const ncmds: string[] = [];

  beforeAll(async () => {
    await broker.start();
    spy = await mqtt.connectAsync(broker.url, { reconnectPeriod: 200 });
    await spy.subscribeAsync("spBv1.0/Plant/NCMD/#");
    spy.on("message", (topic, payload) => ncmds.push(`${topic} ${JSON.stringify(decodePayload(payload).metrics.map((m) => [m.name, m.value]))}`));
    source = new SparkplugSource(sparkplugSourceSchema.parse({ id: "scada", type: "sparkplug", url: broker.url, groups: ["Plant"], staleAfter: "1m" }), rec.hub.sinkFor("scada"), quietLog);
    source.start();
    await waitFor("subscribed", () => rec.source("scada")?.status.state === "up");
    tahu = new Proc("node", [TAHU_NODE, broker.url, "Plant", "Line3", "Extruder"]);
  });

  afterAll(async () => {
    await tahu?.stop("SIGKILL");
    await source?.stop();
    await spy?.endAsync(true);
    await broker.stop();
  });

  it("turns the births into channels with names, units and machine-part groups, and alias-only data into readings", async () => {
    await waitFor("readings from DDATA", () => rec.values(ZONE1).length > 5, 15_000);
    const zone1 = rec.channel(ZONE1)!;
    expect(zone1.info).toMatchObject({ name: "Temperatures/Barrel Zone 1", unit: "°C", group: "Line3 / Extruder", source: "scada" });
    expect(rec.channel("Line3.Extruder.Temperatures_Barrel_Zone_2")!.last!.value).toBe(180);
    expect(rec.channel("Line3.Uptime")).toBeDefined();
    // The string metric is not a channel; nothing was rejected, no rebirth was needed.
    expect(rec.hub.channelStates().filter((c) => c.info.source === "scada")).toHaveLength(3);
    expect(rec.source("scada")!.rejects).toBe(0);
    expect(ncmds).toEqual([]);
    expect(rec.source("scada")!.status.detail).toContain("1 edge node(s) online");
    const values = rec.values(ZONE1);
    expect(values.at(-1)!).toBeGreaterThan(values[0]);
  });

  it("asks for a rebirth after a sequence gap, and the node's new births are followed", async () => {
    // Messages lost: a DDATA whose seq skips ahead, as the host sees it after a dropped packet.
    await spy.publishAsync("spBv1.0/Plant/DDATA/Line3/Extruder", encodePayload({ timestamp: Date.now(), seq: 77, metrics: [{ alias: 10, type: "Double", value: 1 }] }));
    await waitFor("an NCMD rebirth", () => ncmds.length > 0);
    expect(ncmds[0]).toBe('spBv1.0/Plant/NCMD/Line3 [["Node Control/Rebirth",true]]');
    await waitFor("Tahu births again", () => births(tahu) >= 2);
    const after = rec.values(ZONE1).length;
    await waitFor("data after the rebirth", () => rec.values(ZONE1).length > after + 3);
    expect(ncmds).toHaveLength(1);
  });

  it("ignores what is not a Sparkplug payload, counting it", async () => {
    const before = rec.source("scada")!.rejects;
    await spy.publishAsync("spBv1.0/Plant/DDATA/Line3/Extruder", Buffer.from("{\"temperature\": 21}"));
    await waitFor("the reject", () => rec.source("scada")!.rejects === before + 1);
    expect(rec.source("scada")!.lastReject).toMatch(/^spBv1.0\/Plant\/DDATA\/Line3\/Extruder: not a Sparkplug B payload/);
    expect(rec.channel(ZONE1)!.stale).toBe(false);
  });

  it("marks the node's channels stale at once when it dies (its will, NDEATH, on kill -9), and fresh when it is back", async () => {
    await tahu.stop("SIGKILL");
    // Mosquitto sends the will when it notices the dead connection (at once for a closed socket).
    await waitFor("stale on NDEATH", () => rec.channel(ZONE1)!.stale, 10_000);
    expect(rec.source("scada")!.status.detail).toContain("0 edge node(s) online");
    tahu = new Proc("node", [TAHU_NODE, broker.url, "Plant", "Line3", "Extruder"]);
    await waitFor("fresh after the new birth", () => !rec.channel(ZONE1)!.stale, 15_000);
  });

  it("comes back after a broker restart, with the node's births", async () => {
    await broker.stop();
    await waitFor("source down", () => rec.source("scada")!.status.state === "down", 10_000);
    await broker.start();
    await waitFor("source up", () => rec.source("scada")!.status.state === "up", 40_000);
    const count = rec.values(ZONE1).length;
    await waitFor("readings after the restart", () => rec.values(ZONE1).length > count + 3, 40_000);
  });
});
