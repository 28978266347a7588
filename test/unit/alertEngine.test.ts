import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { virtualClock } from "../../common/clock.js";
import { AlertEngine, type AlertRecord, type AlertStore, type Transition } from "../../gateway/alerts/engine.js";
import { alertsSchema } from "../../gateway/alerts/schema.js";
import { Hub } from "../../gateway/hub/hub.js";
import type { Logger } from "../../common/logger.js";

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

class MemoryStore implements AlertStore {
  records = new Map<string, AlertRecord>();
  events: string[] = [];
  loadAlerts() {
    return [...this.records.values()].map((r) => structuredClone(r));
  }
  saveAlert(r: AlertRecord) {
    this.records.set(r.id, structuredClone(r));
  }
  recordTransition(t: { id: string; from: string; to: string }) {
    this.events.push(`${t.id}:${t.from}>${t.to}`);
  }
}

function setup(rules: unknown[], opts: { flood?: { max: number; window: string }; store?: MemoryStore; start?: number; channels?: string[] } = {}) {
  let now = opts.start ?? 1_000_000;
  const store = opts.store ?? new MemoryStore();
  const config = alertsSchema.parse({ rules, ...(opts.flood ? { flood: opts.flood } : {}) });
  const engine = new AlertEngine(config, store, quiet, virtualClock(() => now));
  const hub = new Hub(quiet, 10, virtualClock(() => now));
  hub.subscribe((e) => engine.onHubEvent(e));
  const sink = hub.sinkFor("s");
  for (const id of opts.channels ?? ["t"]) sink.channel({ id, name: id.toUpperCase(), unit: "°C", source: "s", staleAfterMs: 5000 });
  const transitions: Transition[] = [];
  engine.subscribe({ transition: (t) => transitions.push(t) });
  return {
    engine,
    store,
    transitions,
    states: () => transitions.map((t) => t.to),
    feed: (value: number, channel = "t") => sink.reading({ channel, value, ts: now }),
    advance: (ms: number) => {
      now += ms;
      engine.tick();
    },
    at: () => now,
  };
}

describe("alert engine", () => {
  it("fires at once without `for`, and resolves when clear", () => {
    const a = setup([{ id: "hot", channels: ["t"], when: { above: 80 } }]);
    a.feed(70);
    a.feed(81);
    a.feed(79);
    expect(a.states()).toEqual(["firing", "resolved"]);
  });

  it("hysteresis: a signal wobbling inside the band never chatters", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 75.01, max: 79.99, noNaN: true }), { minLength: 1, maxLength: 200 }), (wobble) => {
        const a = setup([{ id: "hot", channels: ["t"], when: { above: 80, clear: 75 } }]);
        a.feed(85);
        for (const v of wobble) a.feed(v);
        expect(a.states()).toEqual(["firing"]);
        a.feed(74);
        expect(a.states()).toEqual(["firing", "resolved"]);
      }),
    );
  });

  it("pending until `for` has passed; a dip cancels it", () => {
    const a = setup([{ id: "hot", channels: ["t"], when: { above: 80 }, for: "10s" }]);
    a.feed(90);
    a.advance(5000);
    a.feed(70);
    a.feed(90);
    a.advance(9000);
    expect(a.states()).toEqual(["pending", "normal", "pending"]);
    a.advance(1000);
    expect(a.states()).toEqual(["pending", "normal", "pending", "firing"]);
    expect(a.engine.list()[0]).toMatchObject({ state: "firing", value: 90, description: "hot: T is 90 °C" });
  });

  it("clearFor keeps firing through short dips", () => {
    const a = setup([{ id: "hot", channels: ["t"], when: { above: 80 }, clearFor: "30s" }]);
    a.feed(90);
    a.feed(70);
    a.advance(20_000);
    a.feed(90);
    a.feed(70);
    a.advance(29_000);
    expect(a.states()).toEqual(["firing"]);
    a.advance(1000);
    expect(a.states()).toEqual(["firing", "resolved"]);
  });

  it("rate of change over a window", () => {
    const a = setup([{ id: "fast", channels: ["t"], when: { rate: { above: 5, per: "1m" } } }]);
    for (let i = 0; i <= 60; i++) {
      a.feed(20 + i * 0.05);
      a.advance(1000);
    }
    expect(a.states()).toEqual([]);
    for (let i = 0; i <= 60; i++) {
      a.feed(23 + i * 0.2);
      a.advance(1000);
    }
    expect(a.states()).toEqual(["firing"]);
  });

  it("no data: fires after silence, clears when data resumes", () => {
    const a = setup([{ id: "silent", channels: ["*"], when: { noData: "30s" } }]);
    a.feed(20);
    a.advance(29_000);
    expect(a.states()).toEqual([]);
    a.advance(2000);
    expect(a.states()).toEqual(["firing"]);
    a.feed(20);
    expect(a.states()).toEqual(["firing", "resolved"]);
  });

  it("OR and AND of conditions", () => {
    const or = setup([{ id: "r", channels: ["t"], when: { any: [{ above: 80 }, { below: 0 }] } }]);
    or.feed(-1);
    or.feed(20);
    or.feed(81);
    expect(or.states()).toEqual(["firing", "resolved", "firing"]);
    const and = setup([{ id: "r", channels: ["t"], when: { all: [{ above: 50 }, { rate: { above: 10, per: "10s" } }] } }]);
    for (let i = 0; i < 20; i++) {
      and.feed(60);
      and.advance(1000);
    }
    expect(and.states()).toEqual([]);
    for (let i = 0; i < 6; i++) {
      and.feed(60 + i * 5);
      and.advance(1000);
    }
    expect(and.states()).toEqual(["firing"]);
  });

  it("one alert per rule and channel: re-triggering updates it, never duplicates", () => {
    const a = setup([{ id: "hot", channels: ["*"], when: { above: 80 } }], { channels: ["a", "b"] });
    for (let i = 0; i < 3; i++) {
      a.feed(90, "a");
      a.feed(70, "a");
    }
    a.feed(90, "b");
    expect(a.engine.list().map((x) => x.id).sort()).toEqual(["hot~a", "hot~b"]);
  });

  it("acknowledge needs a firing alert, is cleared by a new episode, and is recorded", () => {
    const a = setup([{ id: "hot", channels: ["t"], when: { above: 80 } }]);
    expect(() => a.engine.acknowledge("hot~t", "olga", "")).toThrow(/no such alert|only a firing/);
    a.feed(90);
    expect(a.engine.acknowledge("hot~t", "olga", "checking").ack).toMatchObject({ by: "olga", note: "checking" });
    a.feed(70);
    a.feed(90);
    expect(a.engine.get("hot~t")!.ack).toBeNull();
    expect(a.store.events).toContain("hot~t:firing>acknowledged");
  });

  it("shelved alerts still change state but notify quietly", () => {
    const a = setup([{ id: "hot", channels: ["t"], when: { above: 80 } }]);
    a.feed(70);
    a.engine.shelve("hot~t", "olga", a.at() + 60_000);
    a.feed(90);
    expect(a.transitions.at(-1)).toMatchObject({ to: "firing", quiet: true });
  });

  it("flood guard: beyond the limit, firing alerts are grouped and one flood event is raised", () => {
    const channels = Array.from({ length: 6 }, (_, i) => `c${i}`);
    const a = setup([{ id: "hot", channels: ["*"], when: { above: 80 } }], { flood: { max: 3, window: "10m" }, channels });
    const floods: number[] = [];
    a.engine.subscribe({ flood: (e) => floods.push(e.count) });
    for (const c of channels) a.feed(90, c);
    expect(a.transitions.map((t) => t.quiet)).toEqual([false, false, false, true, true, true]);
    expect(floods).toEqual([4]);
  });

  it("a pending timer continues across a restart: 8 of 10 minutes pending fires 2 minutes later", () => {
    const store = new MemoryStore();
    const rules = [{ id: "hot", channels: ["t"], when: { above: 80, clear: 75 }, for: "10m" }];
    const first = setup(rules, { store });
    first.feed(90);
    first.advance(8 * 60_000);
    expect(first.states()).toEqual(["pending"]);

    const second = setup(rules, { store, start: first.at() + 5000 });
    second.feed(78);
    second.advance(60_000);
    expect(second.states()).toEqual([]);
    second.feed(78);
    second.advance(55_000);
    expect(second.states()).toEqual(["firing"]);
  });

  it("an acknowledged firing alert keeps its ack across a restart", () => {
    const store = new MemoryStore();
    const rules = [{ id: "hot", channels: ["t"], when: { above: 80 } }];
    const first = setup(rules, { store });
    first.feed(90);
    first.engine.acknowledge("hot~t", "olga", "on it");
    const second = setup(rules, { store });
    expect(second.engine.get("hot~t")).toMatchObject({ state: "firing", ack: { by: "olga", note: "on it" } });
  });
});
