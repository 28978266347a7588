import { describe, expect, it } from "vitest";
import { virtualClock } from "../../common/clock.js";
import { Hub, type HubEvent } from "../../gateway/hub/hub.js";
import type { Logger } from "../../common/logger.js";

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function setup(historyPoints = 3) {
  let now = 1000;
  const hub = new Hub(quiet, historyPoints, virtualClock(() => now));
  const events: HubEvent[] = [];
  hub.subscribe((e) => events.push(e));
  const sink = hub.sinkFor("s1");
  sink.channel({ id: "a", name: "A", unit: "°C", source: "s1", staleAfterMs: 500 });
  return { hub, sink, events, tick: (ms: number) => (now += ms), check: () => (hub as unknown as { checkStale(): void }).checkStale() };
}

describe("Hub", () => {
  it("keeps the latest value and a bounded history", () => {
    const { hub, sink } = setup(3);
    for (let i = 1; i <= 5; i++) sink.reading({ channel: "a", value: i, ts: i * 100 });
    expect(hub.channelStates()[0].last).toEqual({ ts: 500, value: 5, rx: 1000 });
    expect(hub.history("a")).toEqual({ ts: [300, 400, 500], values: [3, 4, 5] });
    expect(hub.sourceStates()[0].readings).toBe(5);
  });

  it("marks a channel stale after its staleAfter and fresh on the next reading", () => {
    const { hub, sink, events, tick, check } = setup();
    sink.reading({ channel: "a", value: 1, ts: 1 });
    tick(400);
    check();
    expect(hub.channelStates()[0].stale).toBe(false);
    tick(200);
    check();
    expect(hub.channelStates()[0].stale).toBe(true);
    sink.reading({ channel: "a", value: 2, ts: 2 });
    expect(events.filter((e) => e.type === "stale").map((e) => (e as { stale: boolean }).stale)).toEqual([false, true, false]);
  });

  it("marks a source's channels stale at once when it says they are offline, and only its own", () => {
    const { hub, sink, events } = setup();
    hub.sinkFor("s2").channel({ id: "b", name: "B", unit: "°C", source: "s2", staleAfterMs: 500 });
    sink.reading({ channel: "a", value: 1, ts: 1 });
    hub.sinkFor("s2").reading({ channel: "b", value: 1, ts: 1 });
    sink.offline(["a", "b", "nope"]);
    expect(hub.channelStates().map((c) => [c.info.id, c.stale])).toEqual([["a", true], ["b", false]]);
    sink.offline(["a"]);
    sink.reading({ channel: "a", value: 2, ts: 2 });
    expect(events.filter((e) => e.type === "stale" && e.channel === "a").map((e) => (e as { stale: boolean }).stale)).toEqual([false, true, false]);
  });

  it("keeps a reading whose sensor time is implausible, at the time it arrived", () => {
    const { hub, sink, events } = setup();
    const year128724 = Date.UTC(128_724, 0, 1);
    sink.reading({ channel: "a", value: 41.5, ts: year128724 });
    sink.reading({ channel: "a", value: 42.5, ts: 1000 + 4 * 60_000 });
    sink.reading({ channel: "a", value: 43.5, ts: 1000 + 6 * 60_000 });
    const readings = events.filter((e) => e.type === "reading").map((e) => [(e as { ts: number }).ts, (e as { value: number }).value]);
    expect(readings).toEqual([[1000, 41.5], [1000 + 4 * 60_000, 42.5], [1000, 43.5]]);
    expect(hub.history("a")!.ts.every((t) => t <= 1000 + 5 * 60_000)).toBe(true);
  });

  it("rejects readings for undeclared channels, other sources' channels and non-finite values", () => {
    const { hub, sink } = setup();
    hub.sinkFor("s2").reading({ channel: "a", value: 1, ts: 1 });
    sink.reading({ channel: "zzz", value: 1, ts: 1 });
    sink.reading({ channel: "a", value: Number.NaN, ts: 1 });
    expect(hub.channelStates()[0].last).toBeUndefined();
    expect(hub.sourceStates().map((s) => [s.id, s.rejects])).toEqual([
      ["s1", 2],
      ["s2", 1],
    ]);
  });

  it("a throwing listener does not stop the others", () => {
    const { hub, sink } = setup();
    const seen: number[] = [];
    hub.subscribe(() => {
      throw new Error("boom");
    });
    hub.subscribe((e) => e.type === "reading" && seen.push(e.value));
    sink.reading({ channel: "a", value: 7, ts: 1 });
    expect(seen).toEqual([7]);
  });
});
