import { appendFile } from "node:fs/promises";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatewayProcess } from "../helpers/gateway.js";
import { Mosquitto } from "../helpers/mosquitto.js";
import { freePort, waitFor } from "../helpers/ports.js";
import { processIo } from "../helpers/processes.js";
import { PtyPair } from "../helpers/socat.js";

describe("MQTT uplink with Home Assistant discovery, against a real Mosquitto", () => {
  const broker = new Mosquitto();
  const pair = new PtyPair();
  let sub: MqttClient;
  const seen: Array<{ topic: string; payload: string; retain: boolean }> = [];
  let gw: GatewayProcess;

  const start = async () => {
    gw = new GatewayProcess({
      name: "Press 7",
      http: { host: "127.0.0.1", port: await freePort() },
      sources: [{ id: "board", type: "serial", path: pair.device, format: { type: "kv" }, staleAfter: "30s", fields: { t: { channel: "press.bearing", name: "Press bearing" } } }],
      uplink: { mqtt: { url: broker.url, prefix: "plant/line2/press7", interval: "1s", deadband: 0.5 } },
    });
    await gw.start();
  };

  beforeAll(async () => {
    await broker.start();
    await pair.start();
    sub = await mqtt.connectAsync(broker.url);
    sub.on("message", (topic, payload, packet) => seen.push({ topic, payload: payload.toString(), retain: packet.retain }));
    await sub.subscribeAsync(["plant/#", "homeassistant/#"]);
    await start();
  });

  afterAll(async () => {
    await gw?.stop();
    await sub?.endAsync(true);
    await broker.stop();
    await pair.unplug();
  });

  const last = (topic: string) => seen.filter((m) => m.topic === topic).at(-1);

  it("announces availability and the channel to Home Assistant, then publishes readings", async () => {
    await waitFor("online", () => last("plant/line2/press7/status")?.payload === "online");
    const discovery = await waitFor("discovery", () => last("homeassistant/sensor/wachter_press_7/press_bearing/config"));
    expect(JSON.parse(discovery.payload)).toMatchObject({
      name: "Press bearing",
      unique_id: "wachter_press_7_press_bearing",
      state_topic: "plant/line2/press7/channel/press.bearing/state",
      unit_of_measurement: "°C",
      device_class: "temperature",
      availability_topic: "plant/line2/press7/status",
      expire_after: 30,
      device: { identifiers: ["wachter_press_7"], name: "Press 7", manufacturer: "wachter" },
    });
    await appendFile(pair.board, "t=41.5\n");
    await waitFor("state", () => last("plant/line2/press7/channel/press.bearing/state")?.payload === "41.5");
    // Small changes wait for the interval; real changes go out at once.
    await appendFile(pair.board, "t=41.6\nt=48\n");
    await waitFor("change published", () => last("plant/line2/press7/channel/press.bearing/state")?.payload === "48");
  });

  it("sends discovery again when Home Assistant announces itself", async () => {
    const before = seen.filter((m) => m.topic.endsWith("/config")).length;
    await sub.publishAsync("homeassistant/status", "online");
    await waitFor("rediscovery", () => seen.filter((m) => m.topic.endsWith("/config")).length > before);
  });

  it("cuts its connection when someone publishes a huge message to Home Assistant's status topic, unread, and carries on", async () => {
    const onlineBefore = seen.filter((m) => m.topic === "plant/line2/press7/status" && m.payload === "online").length;
    const before = processIo(gw.proc!.child.pid!);
    await sub.publishAsync("homeassistant/status", Buffer.alloc(20 << 20, 0x41));
    await waitFor("the cut logged", () => gw.logs().find((l) => l.msg === "uplink MQTT connection cut: the broker sent a packet over the limit"), 10_000);
    await waitFor("online again", () => seen.filter((m) => m.topic === "plant/line2/press7/status" && m.payload === "online").length > onlineBefore, 10_000);
    expect(processIo(gw.proc!.child.pid!).readBytes - before.readBytes).toBeLessThan(1 << 20);
    await appendFile(pair.board, "t=55\n");
    await waitFor("readings still published", () => last("plant/line2/press7/channel/press.bearing/state")?.payload === "55");
  });

  it("marks the gateway offline through the last will when it dies, and explicitly on a clean stop", async () => {
    gw.proc!.child.kill("SIGKILL");
    await waitFor("last will", () => last("plant/line2/press7/status")?.payload === "offline", 10_000);
    await start();
    await waitFor("online again", () => last("plant/line2/press7/status")?.payload === "online");
    await gw.stop();
    await waitFor("offline on clean stop", () => last("plant/line2/press7/status")?.payload === "offline");
    await start();
  });
});
