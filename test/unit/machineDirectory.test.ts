import { describe, expect, it } from "vitest";
import { virtualClock } from "../../common/clock.js";
import { MachineDirectory, MAX_MACHINES } from "../../gateway/plant/directory.js";
import type { MachineAlert, MachineAnnouncement } from "../../gateway/protocol/plant.js";

const T = 1_800_000_000_000;
const news = (id: string, alerts: Partial<MachineAlert>[] = [], more: Partial<MachineAnnouncement> = {}): Buffer =>
  Buffer.from(
    JSON.stringify({
      v: 1,
      kind: "wachter.machine",
      id,
      name: `Machine ${id}`,
      hall: "Hall 1",
      url: `http://${id}.plant.local:8080/`,
      version: "0.1.0",
      interval: 10_000,
      at: T,
      alerts: alerts.map((a, i) => ({ id: `r${i}~c`, name: "Rule", channel: "c", severity: "warning", state: "firing", since: T - 1000 * i, ackBy: null, shelved: false, ...a })),
      values: [{ id: "c", name: "Bearing", unit: "°C", value: 71.2, decimals: 1, stale: false }],
      ...more,
    }),
  );

let now = T;
/** The directory on a clock the test sets: ingest(…, at) and view(at) hear and look at that time. */
function plant() {
  now = T;
  const d = new MachineDirectory("wachter/plant", virtualClock(() => now));
  d.brokerChanged(true);
  const at = (t: number) => ((now = t), d);
  return {
    ingest: (topic: string, payload: Buffer, t: number) => at(t).ingest(topic, payload),
    brokerChanged: (up: boolean, t: number) => at(t).brokerChanged(up),
    view: (t: number) => at(t).view(),
    get ignored() {
      return d.ignored;
    },
  };
}

describe("the plant's machines as heard on the broker", () => {
  it("puts the machines that need attention first: critical, warning, offline, stale, ok; unacknowledged before acknowledged", () => {
    const d = plant();
    d.ingest("wachter/plant/ok-1/machine", news("ok-1"), T);
    d.ingest("wachter/plant/warm/machine", news("warm", [{ severity: "warning" }]), T);
    d.ingest("wachter/plant/hot-acked/machine", news("hot-acked", [{ severity: "critical", ackBy: "eva" }]), T);
    d.ingest("wachter/plant/hot/machine", news("hot", [{ severity: "critical" }]), T);
    d.ingest("wachter/plant/gone/machine", news("gone"), T);
    d.ingest("wachter/plant/gone/status", Buffer.from("offline"), T);
    d.ingest("wachter/plant/quiet/machine", news("quiet", [{ severity: "critical", shelved: true }, { severity: "info" }]), T - 40_000);
    const view = d.view(T + 1000);
    expect(view.machines.map((m) => [m.id, m.state])).toEqual([
      ["hot", "critical"],
      ["hot-acked", "critical"],
      ["warm", "warning"],
      ["gone", "offline"],
      ["quiet", "unknown"],
      ["ok-1", "ok"],
    ]);
    expect(view.halls).toEqual([{ hall: "Hall 1", counts: { critical: 2, warning: 1, offline: 1, unknown: 1, ok: 1 } }]);
    // Stale news keeps what it said, beside "unknown": a shelved critical and an info alert are "ok".
    expect(view.machines.find((m) => m.id === "quiet")?.lastState).toBe("ok");
  });

  it("never shows a machine as ok (or offline) while the broker is lost, keeps the worst first, and says since when", () => {
    const d = plant();
    d.ingest("wachter/plant/m1/machine", news("m1"), T);
    d.ingest("wachter/plant/m2/machine", news("m2", [{ severity: "critical" }]), T);
    // A broker that stops sends the wills of its clients: m3 did not die.
    d.ingest("wachter/plant/m3/machine", news("m3"), T);
    d.ingest("wachter/plant/m3/status", Buffer.from("offline"), T + 400);
    d.brokerChanged(false, T + 500);
    const view = d.view(T + 1000);
    expect(view.broker).toEqual({ state: "down", since: T + 500 });
    expect(view.machines.map((m) => [m.id, m.state, m.lastState])).toEqual([
      ["m2", "unknown", "critical"],
      ["m3", "unknown", "offline"],
      ["m1", "unknown", "ok"],
    ]);
    expect(view.machines[2].heardAt).toBe(T);
    d.brokerChanged(true, T + 2000);
    d.ingest("wachter/plant/m3/status", Buffer.from("online"), T + 2100);
    expect(d.view(T + 2200).machines.map((m) => [m.id, m.state])).toEqual([
      ["m2", "critical"],
      ["m1", "ok"],
      ["m3", "ok"],
    ]);
  });

  it("ignores and counts what is not a wachter's, and keeps what it had", () => {
    const d = plant();
    d.ingest("wachter/plant/m1/machine", news("m1"), T);
    const bad: Array<[string, Buffer | string]> = [
      ["wachter/plant/m1/machine", "{not json"],
      ["wachter/plant/m1/machine", news("other-id")],
      ["wachter/plant/m1/machine", news("m1", [], { interval: 5 })],
      ["wachter/plant/m1/machine", news("m1", [{ severity: "loud" as never }])],
      ["wachter/plant/m1/machine", news("m1", [], { name: "x".repeat(500) })],
      ["wachter/plant/m1/status", "maybe"],
      ["wachter/plant/m1/extra/machine", news("m1")],
      ["wachter/plant/bad id/machine", news("bad id")],
      ["wachter/plant/m1/firmware", "1.2"],
    ];
    for (const [topic, payload] of bad) expect(d.ingest(topic, Buffer.from(payload), T + 1), topic).toBe(false);
    const view = d.view(T + 2);
    expect(view.ignored).toBe(bad.length);
    expect(view.machines).toHaveLength(1);
    expect(view.machines[0]).toMatchObject({ id: "m1", name: "Machine m1", state: "ok" });
  });

  it("judges staleness on the monotonic clock: the wall clock set back an hour keeps no news fresh", () => {
    let wall = T;
    let mono = 0;
    const d = new MachineDirectory("wachter/plant", { wall: () => wall, mono: () => mono });
    d.brokerChanged(true);
    d.ingest("wachter/plant/m1/machine", news("m1"));
    mono += 20_000;
    wall -= 3_600_000;
    expect(d.view().machines[0]).toMatchObject({ state: "ok", heardAt: wall - 20_000 });
    // Three intervals (10 s each) of silence on the monotonic clock, whatever the wall clock says.
    mono += 11_000;
    expect(d.view().machines[0].state).toBe("unknown");
  });

  it("forgets a machine whose retained topics are cleared, and holds at most MAX_MACHINES", () => {
    const d = plant();
    d.ingest("wachter/plant/m1/machine", news("m1"), T);
    d.ingest("wachter/plant/m1/status", Buffer.from("online"), T);
    d.ingest("wachter/plant/m1/machine", Buffer.alloc(0), T);
    expect(d.view(T).machines[0]).toMatchObject({ id: "m1", name: "m1", state: "unknown" });
    d.ingest("wachter/plant/m1/status", Buffer.alloc(0), T);
    expect(d.view(T).machines).toHaveLength(0);
    for (let i = 0; i < MAX_MACHINES + 5; i++) d.ingest(`wachter/plant/m${i}/status`, Buffer.from("online"), T);
    expect(d.view(T).machines).toHaveLength(MAX_MACHINES);
    expect(d.ignored).toBe(5);
  });
});
