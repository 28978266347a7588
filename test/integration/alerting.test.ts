import { appendFile } from "node:fs/promises";
import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type Gateway } from "../../gateway/app.js";
import { configSchema } from "../../gateway/config/schema.js";
import { createLogger } from "../../gateway/log.js";
import { Mosquitto } from "../helpers/mosquitto.js";
import { freePort, waitFor } from "../helpers/ports.js";
import { PtyPair } from "../helpers/socat.js";

const TOKEN = "alerting-test-token-0123456789abcdefghijkl";
const ENGINEER_TOKEN = "alerting-engineer-token-0123456789abcdefgh";

describe("alert notifications: persistent MQTT outbox and webhooks", () => {
  const broker = new Mosquitto();
  broker.persistent = true;
  const pair = new PtyPair();
  const dataDir = mkdtempSync(join(tmpdir(), "wachter-alerting-"));
  const mqttEvents: string[] = [];
  const hookEvents: string[] = [];
  let hookCalls = 0;
  let hook: Server;
  let subscriber: MqttClient;
  let gateway: Gateway;
  let base: string;

  async function start() {
    const port = await freePort();
    const config = configSchema.parse({
      name: "Alert test",
      dataDir,
      http: { host: "127.0.0.1", port },
      auth: { tokens: [{ name: "t", token: TOKEN, role: "operator" }, { name: "maintenance", token: ENGINEER_TOKEN, role: "engineer" }] },
      sources: [{ id: "board", type: "serial", path: pair.device, format: { type: "kv" }, fields: { t: { channel: "bearing" } } }],
      alerts: { rules: [{ id: "hot", channels: ["bearing"], severity: "critical", when: { above: 80, clear: 75 } }] },
      notify: {
        mqtt: { url: broker.url, topic: "plant/alerts" },
        ruleChanges: true,
        webhooks: [{ name: "pager", url: `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`, timeout: "2s" }],
      },
    });
    gateway = await startGateway(config, createLogger("fatal", false), { env: {} });
    base = `http://127.0.0.1:${port}`;
  }

  const send = (t: number) => appendFile(pair.board, `t=${t}\n`);
  const alertState = async () => ((await (await fetch(`${base}/api/alerts`, { headers: { Authorization: `Bearer ${TOKEN}` } })).json()) as Array<{ state: string }>)[0]?.state;

  beforeAll(async () => {
    await broker.start();
    await pair.start();
    hook = createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        hookCalls++;
        // The receiver is broken for its first two calls.
        if (hookCalls <= 2) return void res.writeHead(500).end();
        const n = JSON.parse(body);
        hookEvents.push(`${n.event}:${n.alert?.value}`);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
    subscriber = await mqtt.connectAsync(broker.url, { clientId: "plant-scada", clean: false, reconnectPeriod: 200 });
    subscriber.on("message", (_t, payload) => {
      const n = JSON.parse(payload.toString());
      mqttEvents.push(n.event === "rule-changed" ? `${n.event}:${n.change.rule}:${n.change.action}:${n.change.by}` : `${n.event}:${n.alert?.value}`);
    });
    await subscriber.subscribeAsync("plant/alerts", { qos: 1 });
    await start();
    await waitFor("serial up", async () => (await fetch(`${base}/api/sources`, { headers: { Authorization: `Bearer ${TOKEN}` } }).then((r) => r.json()))[0]?.state === "up");
  });

  afterAll(async () => {
    await gateway?.stop();
    await subscriber?.endAsync(true);
    await broker.stop();
    await pair.unplug();
    hook?.close();
  });

  it("publishes transitions with QoS 1 and retries a failing webhook", async () => {
    await send(90);
    await waitFor("firing on MQTT", () => mqttEvents.includes("firing:90"));
    await waitFor("webhook delivered after two failures", () => hookEvents.includes("firing:90"), 15_000);
    expect(hookCalls).toBe(3);
    await send(70);
    await waitFor("resolved", () => mqttEvents.includes("resolved:70") && hookEvents.includes("resolved:70"), 10_000);
  });

  it("announces rule changes, who made them, when asked to (notify.ruleChanges)", async () => {
    const res = await fetch(`${base}/api/rules`, { method: "POST", headers: { Authorization: `Bearer ${ENGINEER_TOKEN}`, "Content-Type": "application/json" }, body: JSON.stringify({ id: "warm", channels: ["bearing"], when: { above: 500 } }) });
    expect(res.status).toBe(201);
    await waitFor("the rule change on MQTT", () => mqttEvents.includes("rule-changed:warm:created:maintenance"));
    // A refused edit changes nothing and announces nothing.
    await fetch(`${base}/api/rules/warm`, { method: "PUT", headers: { Authorization: `Bearer ${ENGINEER_TOKEN}`, "Content-Type": "application/json", "If-Match": '"ui-9"' }, body: JSON.stringify({ id: "warm", channels: ["bearing"], when: { above: 1 } }) });
    const del = await fetch(`${base}/api/rules/warm`, { method: "DELETE", headers: { Authorization: `Bearer ${ENGINEER_TOKEN}`, "If-Match": '"ui-1"' } });
    expect(del.status).toBe(204);
    await waitFor("the deletion on MQTT", () => mqttEvents.includes("rule-changed:warm:deleted:maintenance"));
    expect(mqttEvents.filter((e) => e.startsWith("rule-changed"))).toEqual(["rule-changed:warm:created:maintenance", "rule-changed:warm:deleted:maintenance"]);
  });

  it("delivers transitions that happened while the broker was down, in order", async () => {
    await broker.stop();
    await send(91);
    await waitFor("firing", async () => (await alertState()) === "firing");
    await send(60);
    await waitFor("resolved", async () => (await alertState()) === "resolved");
    expect(mqttEvents.filter((e) => e.endsWith(":91") || e.endsWith(":60"))).toEqual([]);
    await broker.start();
    await waitFor("both arrive after the broker is back", () => mqttEvents.includes("resolved:60"), 40_000);
    expect(mqttEvents.slice(-2)).toEqual(["firing:91", "resolved:60"]);
  });

  it("keeps undelivered transitions across a gateway restart", async () => {
    await broker.stop();
    await send(95);
    await waitFor("firing", async () => (await alertState()) === "firing");
    await gateway.stop();
    await start();
    await broker.start();
    await waitFor("the firing transition arrives after the restart", () => mqttEvents.includes("firing:95"), 40_000);
    expect(await alertState()).toBe("firing");
  });
});
