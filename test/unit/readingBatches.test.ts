import { afterEach, describe, expect, it, vi } from "vitest";
import { virtualClock } from "../../common/clock.js";
import type { Logger } from "../../common/logger.js";
import { Hub } from "../../gateway/hub/hub.js";
import type { ReadingTuple } from "../../gateway/protocol/telemetry.js";
import { ReadingBatches, type ReadingBatch } from "../../gateway/webrtc/readingBatches.js";

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function setup(batchMs: number) {
  const hub = new Hub(quiet, 100, virtualClock(() => 5000));
  const sink = hub.sinkFor("s");
  for (const id of ["a", "b"]) sink.channel({ id, name: id, unit: "°C", source: "s", staleAfterMs: 1000 });
  const batches = new ReadingBatches(hub, batchMs);
  const got: ReadingTuple[][] = [];
  batches.subscribe((b) => got.push(b.readings));
  return { sink, batches, got };
}

describe("ReadingBatches", () => {
  afterEach(() => vi.useRealTimers());

  it("sends a reading after a quiet spell in the same turn, and holds the ones that follow until the window ends", () => {
    vi.useFakeTimers({ toFake: ["performance", "setTimeout", "clearTimeout", "setImmediate", "clearImmediate"] });
    const { sink, batches, got } = setup(50);
    sink.reading({ channel: "a", value: 1, ts: 10 });
    vi.advanceTimersByTime(0);
    expect(got).toEqual([[["a", 10, 1]]]);
    vi.advanceTimersByTime(10);
    sink.reading({ channel: "a", value: 2, ts: 20 });
    vi.advanceTimersByTime(20);
    sink.reading({ channel: "b", value: 3, ts: 40 });
    vi.advanceTimersByTime(19);
    expect(got).toHaveLength(1);
    expect(batches.unsent).toBe(2);
    vi.advanceTimersByTime(1);
    expect(got).toEqual([[["a", 10, 1]], [["a", 20, 2], ["b", 40, 3]]]);
    // A quiet window later, the next reading goes at once again.
    vi.advanceTimersByTime(200);
    sink.reading({ channel: "b", value: 4, ts: 300 });
    vi.advanceTimersByTime(0);
    expect(got).toHaveLength(3);
    batches.close();
  });

  it("with 0 batches per event-loop turn", async () => {
    const { sink, batches, got } = setup(0);
    sink.reading({ channel: "a", value: 1, ts: 10 });
    sink.reading({ channel: "b", value: 2, ts: 10 });
    await new Promise((r) => setImmediate(r));
    sink.reading({ channel: "a", value: 3, ts: 20 });
    await new Promise((r) => setImmediate(r));
    expect(got).toEqual([[["a", 10, 1], ["b", 10, 2]], [["a", 20, 3]]]);
    batches.close();
  });

  it("sends a full batch at once, however long the window", () => {
    vi.useFakeTimers({ toFake: ["performance", "setTimeout", "clearTimeout", "setImmediate", "clearImmediate"] });
    const hub = new Hub(quiet, 100, virtualClock(() => 5000));
    const sink = hub.sinkFor("s");
    sink.channel({ id: "a", name: "a", unit: "°C", source: "s", staleAfterMs: 1000 });
    const batches = new ReadingBatches(hub, 1000, Date.now, 3);
    const got: number[] = [];
    batches.subscribe((b) => got.push(b.readings.length));
    sink.reading({ channel: "a", value: 0, ts: 1 });
    vi.advanceTimersByTime(0);
    for (let i = 1; i <= 7; i++) sink.reading({ channel: "a", value: i, ts: i + 1 });
    expect(got).toEqual([1, 3, 3]);
    vi.advanceTimersByTime(1000);
    expect(got).toEqual([1, 3, 3, 1]);
    batches.close();
  });

  it("encodes a batch once for every viewer", async () => {
    const { sink, batches } = setup(0);
    const seen: ReadingBatch[] = [];
    batches.subscribe((b) => seen.push(b));
    sink.reading({ channel: "a", value: 1, ts: 10 });
    await new Promise((r) => setImmediate(r));
    const stringify = vi.spyOn(JSON, "stringify");
    const texts = [seen[0].encoded, seen[0].encoded, seen[0].encoded];
    expect(stringify).toHaveBeenCalledTimes(1);
    stringify.mockRestore();
    expect(JSON.parse(texts[0])).toEqual({ v: 1, t: "readings", now: seen[0].now, r: [["a", 10, 1]] });
    batches.close();
  });

  it("gathers nothing while no viewer listens, and nothing after close", async () => {
    const hub = new Hub(quiet, 100, virtualClock(() => 5000));
    const sink = hub.sinkFor("s");
    sink.channel({ id: "a", name: "a", unit: "°C", source: "s", staleAfterMs: 1000 });
    const batches = new ReadingBatches(hub, 0);
    for (let i = 0; i < 100; i++) sink.reading({ channel: "a", value: i, ts: i + 1 });
    expect(batches.unsent).toBe(0);
    const got: ReadingBatch[] = [];
    batches.subscribe((b) => got.push(b));
    sink.reading({ channel: "a", value: 1, ts: 200 });
    batches.close();
    await new Promise((r) => setImmediate(r));
    expect(got).toHaveLength(0);
  });
});
