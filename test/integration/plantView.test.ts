import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PlantMachineMsg, PlantMsg } from "../../gateway/protocol/plant.js";
import { API_TOKEN, GatewayProcess } from "../helpers/gateway.js";
import { Mosquitto } from "../helpers/mosquitto.js";
import { freePort, waitFor } from "../helpers/ports.js";

const sim = { id: "sim", type: "simulated", microphone: false, thermalFps: 0, rateHz: 2 };
const call = async (port: number, method: string, path: string, body?: unknown) => {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { Authorization: `Bearer ${API_TOKEN}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
};

describe("the plant view: three real gateways on one real Mosquitto", () => {
  const broker = new Mosquitto();
  const gateways: Record<string, { gw: GatewayProcess; port: number }> = {};
  const plant = async (): Promise<PlantMsg> => (await call(gateways.screen.port, "GET", "/api/plant/machines")).body;
  const machine = async (id: string): Promise<PlantMachineMsg | undefined> => (await plant()).machines.find((m) => m.id === id);

  beforeAll(async () => {
    await broker.start();
    const machines = {
      // The plant's screen is a machine too: it announces itself and shows everyone.
      screen: { name: "Plant screen", hall: "Office", rules: [] as object[], view: true },
      mill: { name: "CNC mill 3 — spindle line", hall: "Hall 2", rules: [{ id: "bearing-hot", name: "Bearing hot", channels: ["spindle.bearing"], severity: "critical", when: { above: 5 } }], view: false },
      press: { name: "Press 1", hall: "Hall 2", rules: [{ id: "bearing-hot", channels: ["spindle.bearing"], severity: "critical", when: { above: 500 } }], view: false },
    };
    for (const [id, m] of Object.entries(machines)) {
      const port = await freePort();
      const gw = new GatewayProcess({
        name: m.name,
        http: { host: "127.0.0.1", port },
        sources: [sim],
        alerts: { rules: m.rules },
        plant: { broker: { url: broker.url, id, hall: m.hall, interval: "2s", keyValues: ["spindle.bearing", "no.such.channel"], dashboardUrl: `http://127.0.0.1:${port}/`, view: m.view } },
      });
      gateways[id] = { gw, port };
    }
    await Promise.all(Object.values(gateways).map(({ gw }) => gw.start()));
  });

  afterAll(async () => {
    await Promise.all(Object.values(gateways).map(({ gw }) => gw.stop()));
    await broker.stop();
  });

  it("lists every machine that announces itself, the alarming one first, with its alerts, key values and hall counts", async () => {
    const view = await waitFor("three machines, the mill critical", async () => {
      const v = await plant();
      return v.machines.length === 3 && v.machines[0].state === "critical" && v.machines.every((m) => m.values[0]?.value !== null) ? v : undefined;
    }, 15_000, 250);
    expect(view.broker.state).toBe("up");
    // Equal states by name: "Plant screen" before "Press 1".
    expect(view.machines.map((m) => [m.id, m.state])).toEqual([
      ["mill", "critical"],
      ["screen", "ok"],
      ["press", "ok"],
    ]);
    const mill = view.machines[0];
    expect(mill).toMatchObject({ name: "CNC mill 3 — spindle line", hall: "Hall 2", url: `http://127.0.0.1:${gateways.mill.port}/`, interval: 2000 });
    expect(mill.alerts).toEqual([expect.objectContaining({ id: "bearing-hot~spindle.bearing", name: "Bearing hot", severity: "critical", state: "firing", ackBy: null, shelved: false })]);
    // A key value the machine does not have is left out, not shown empty.
    expect(mill.values.map((v) => [v.id, v.name, v.unit])).toEqual([["spindle.bearing", "Spindle bearing", "°C"]]);
    expect(view.halls).toEqual([
      { hall: "Hall 2", counts: { critical: 1, warning: 0, offline: 0, unknown: 0, ok: 1 } },
      { hall: "Office", counts: { critical: 0, warning: 0, offline: 0, unknown: 0, ok: 1 } },
    ]);
    expect(view.ignored).toBe(0);
    // Only gateways that serve the plant view answer it.
    expect((await call(gateways.mill.port, "GET", "/api/plant/machines")).status).toBe(404);
  });

  it("shows an acknowledgement made on the machine within seconds", async () => {
    expect((await call(gateways.mill.port, "POST", "/api/alerts/bearing-hot~spindle.bearing/ack", { note: "on my way" })).status).toBe(200);
    await waitFor("the ack in the plant view", async () => ((await machine("mill"))?.alerts[0]?.ackBy ? true : undefined), 5000, 200);
    // Acknowledged with the API token, which is named after its variable.
    expect((await machine("mill"))?.alerts[0].ackBy).toBe("WACHTER_API_TOKEN");
  });

  it("ignores and counts what is not a wachter's on the plant topics, and keeps the machines", async () => {
    const client = await mqtt.connectAsync(broker.url);
    await client.publishAsync("wachter/plant/rogue/machine", "{not json");
    await client.publishAsync("wachter/plant/mill/status", "on fire");
    await client.publishAsync("wachter/plant/fake/machine", JSON.stringify({ v: 1, kind: "wachter.machine", id: "someone-else" }));
    await client.endAsync();
    const view = await waitFor("3 ignored", async () => {
      const v = await plant();
      return v.ignored >= 3 ? v : undefined;
    }, 5000, 200);
    expect(view.ignored).toBe(3);
    expect(view.machines.map((m) => m.id).sort()).toEqual(["mill", "press", "screen"]);
  });

  it("marks a gateway that dies offline within seconds (its last will)", async () => {
    const killedAt = Date.now();
    await gateways.press.gw.stop("SIGKILL");
    await waitFor("press offline", async () => ((await machine("press"))?.state === "offline" ? true : undefined), 5000, 100);
    expect(Date.now() - killedAt).toBeLessThan(5000);
    const view = await plant();
    expect(view.machines.map((m) => m.id)).toEqual(["mill", "press", "screen"]);
  });

  it("says when the broker is down, shows no machine as ok meanwhile, and comes back when it returns", async () => {
    await broker.stop();
    const down = await waitFor("broker down", async () => {
      const v = await plant();
      return v.broker.state === "down" ? v : undefined;
    }, 10_000, 200);
    // Mosquitto sends its clients' wills as it stops: what each machine said last may be "offline", but none is known now.
    expect(down.machines.map((m) => m.state)).toEqual(["unknown", "unknown", "unknown"]);
    expect(down.machines.map((m) => m.id).sort()).toEqual(["mill", "press", "screen"]);
    await broker.start();
    // Reconnects with backoff; the machines announce themselves again (the broker kept nothing).
    const back = await waitFor("broker back and the mill announced again", async () => {
      const v = await plant();
      return v.broker.state === "up" && v.machines.find((m) => m.id === "mill")?.state === "critical" ? v : undefined;
    }, 40_000, 500);
    expect(back.machines.find((m) => m.id === "screen")?.state).toBe("ok");
  });
});
