import { afterEach, describe, expect, it, vi } from "vitest";
import { virtualClock } from "../../common/clock.js";
import { Hub } from "../../gateway/hub/hub.js";
import { decodeTelemetry, type TelemetryMessage } from "../../gateway/protocol/telemetry.js";
import { ReadingBatches } from "../../gateway/webrtc/readingBatches.js";
import { TelemetryStream, type MessageOut, type TelemetryStreamOptions } from "../../gateway/webrtc/telemetryStream.js";
import type { Logger } from "../../common/logger.js";

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

class FakeChannel implements MessageOut {
  sent: TelemetryMessage[] = [];
  bufferedAmount = 0;
  /** While set, what is sent stays buffered: the link delivers nothing (a blackout). */
  holding = false;
  private drained: (() => void) | undefined;
  send(text: string) {
    this.sent.push(decodeTelemetry(text)!);
    if (this.holding) this.bufferedAmount += Buffer.byteLength(text);
  }
  onDrained(cb: () => void) {
    this.drained = cb;
    return () => (this.drained = undefined);
  }
  drain() {
    this.bufferedAmount = 0;
    this.drained?.();
  }
}

const flushTurn = () => new Promise((r) => setImmediate(r));

type Sink = ReturnType<Hub["sinkFor"]>;

/** A hub with channels `ids` of source "s", filled by `fill`, and a stream to a fake channel. */
function setup({
  ids = ["a", "b"],
  capacity = 100,
  fill = (sink: Sink) => sink.reading({ channel: "a", value: 1, ts: 10 }),
  options = { highWaterBytes: 1000 },
}: { ids?: string[]; capacity?: number; fill?: (sink: Sink) => void; options?: Partial<TelemetryStreamOptions> } = {}) {
  // The readings below are dated just after the epoch: the hub's clock is there too, so it believes them.
  const hub = new Hub(quiet, capacity, virtualClock(() => 5000));
  const sink = hub.sinkFor("s");
  for (const id of ids) sink.channel({ id, name: id, unit: "°C", source: "s", staleAfterMs: 1000 });
  fill(sink);
  const out = new FakeChannel();
  const batches = new ReadingBatches(hub, 0);
  const stream = new TelemetryStream(hub, batches, out, { gateway: { name: "m", version: "0", timeZone: "UTC", plantView: false }, heartbeatMs: 60_000, ...options });
  return { hub, sink, out, stream, batches };
}

describe("TelemetryStream", () => {
  afterEach(() => vi.useRealTimers());

  it("sends a snapshot, then batches live readings per event-loop turn", async () => {
    const { sink, out, stream } = setup();
    stream.start();
    expect(out.sent.map((m) => m.t)).toEqual(["snapshot", "history"]);
    expect(out.sent[0].t === "snapshot" && out.sent[0].historyFrom).toEqual({ a: 10 });
    sink.reading({ channel: "a", value: 2, ts: 20 });
    sink.reading({ channel: "b", value: 3, ts: 20 });
    await flushTurn();
    const live = out.sent.filter((m) => m.t === "readings");
    expect(live).toHaveLength(1);
    expect(live[0].t === "readings" && live[0].r).toEqual([
      ["a", 20, 2],
      ["b", 20, 3],
    ]);
    stream.stop();
  });

  it("gives a viewer that joins while a batch is gathering each reading once: in its snapshot, not again live", async () => {
    const { hub, sink, out, stream, batches } = setup();
    stream.start();
    sink.reading({ channel: "a", value: 2, ts: 20 });
    const late = new FakeChannel();
    const joining = new TelemetryStream(hub, batches, late, { gateway: { name: "m", version: "0", timeZone: "UTC", plantView: false }, heartbeatMs: 60_000 });
    joining.start();
    sink.reading({ channel: "b", value: 3, ts: 30 });
    await flushTurn();
    const snapshot = late.sent[0];
    expect(snapshot.t === "snapshot" && snapshot.channels.find((c) => c.id === "a")?.last?.slice(0, 2)).toEqual([20, 2]);
    const live = (c: FakeChannel) => c.sent.flatMap((m) => (m.t === "readings" ? m.r : []));
    expect(live(late)).toEqual([["b", 30, 3]]);
    expect(live(out)).toEqual([
      ["a", 20, 2],
      ["b", 30, 3],
    ]);
    stream.stop();
    joining.stop();
  });

  it("trickles history newest first, a chunk per turn and only while the channel has room, between live readings", async () => {
    const { sink, out, stream } = setup({
      fill: (sink) => {
        for (let i = 1; i <= 25; i++) for (const id of ["a", "b"]) sink.reading({ channel: id, value: i, ts: i });
      },
      options: { historyChunkPoints: 10, historyBacklogBytes: 100 },
    });
    stream.start();
    const history = () => out.sent.filter((m) => m.t === "history") as Array<Extract<TelemetryMessage, { t: "history" }>>;
    expect(history()).toHaveLength(1);
    out.bufferedAmount = 100;
    sink.reading({ channel: "a", value: 99, ts: 30 });
    await flushTurn();
    await flushTurn();
    expect(history()).toHaveLength(1);
    expect(out.sent.at(-1)!.t).toBe("readings");
    out.drain();
    for (let i = 0; i < 10; i++) await flushTurn();
    expect(history().map((m) => [m.channel, m.ts[0], m.ts.at(-1)])).toEqual([
      ["a", 16, 25],
      ["b", 16, 25],
      ["a", 6, 15],
      ["b", 6, 15],
      ["a", 1, 5],
      ["b", 1, 5],
    ]);
    stream.stop();
  });

  it("gives a joining viewer at most historyMaxPoints per channel, the newest stretch included", async () => {
    const { out, stream } = setup({
      ids: ["a"],
      capacity: 3000,
      fill: (sink) => {
        for (let i = 1; i <= 3000; i++) sink.reading({ channel: "a", value: i % 7, ts: i });
      },
      options: { historyMaxPoints: 100 },
    });
    stream.start();
    for (let i = 0; i < 5; i++) await flushTurn();
    const ts = out.sent.flatMap((m) => (m.t === "history" ? m.ts : []));
    expect(ts.length).toBeLessThanOrEqual(100);
    expect(Math.min(...ts)).toBeLessThanOrEqual(30);
    expect(Math.max(...ts)).toBe(3000);
    expect(out.sent[0].t === "snapshot" && out.sent[0].historyFrom).toEqual({ a: Math.min(...ts) });
    stream.stop();
  });

  it("coalesces to the newest value per channel while the viewer is behind, then catches up", async () => {
    const { sink, out, stream } = setup();
    stream.start();
    out.bufferedAmount = 5000;
    for (let i = 0; i < 1000; i++) sink.reading({ channel: "a", value: i, ts: 100 + i });
    sink.reading({ channel: "b", value: 9, ts: 100 });
    await flushTurn();
    expect(out.sent.filter((m) => m.t === "readings")).toHaveLength(0);
    out.drain();
    const live = out.sent.filter((m) => m.t === "readings");
    expect(live).toHaveLength(1);
    const msg = live[0] as Extract<TelemetryMessage, { t: "readings" }>;
    expect(msg.r).toEqual([
      ["a", 1099, 999],
      ["b", 100, 9],
    ]);
    expect(msg.dropped).toBe(999);
    stream.stop();
  });

  it("coalesces while the link delivers nothing and sends one batch once it delivers again", async () => {
    vi.useFakeTimers({ toFake: ["performance"] });
    const { sink, out, stream } = setup({ options: { highWaterBytes: 1_000_000, stallMs: 1000 } });
    stream.start();
    out.holding = true;
    sink.reading({ channel: "a", value: 1, ts: 100 });
    await flushTurn();
    const readings = () => out.sent.filter((m) => m.t === "readings") as Array<Extract<TelemetryMessage, { t: "readings" }>>;
    expect(readings()).toHaveLength(1);
    // Still queued a second later: the buffer is well below the high-water mark, but nothing moves.
    vi.advanceTimersByTime(1500);
    for (let i = 0; i < 100; i++) {
      sink.reading({ channel: "a", value: i, ts: 200 + i });
      sink.reading({ channel: "b", value: -i, ts: 200 + i });
      await flushTurn();
    }
    expect(readings()).toHaveLength(1);
    // The link is back: what was queued is delivered, without the buffer crossing the drained mark.
    out.holding = false;
    out.bufferedAmount = 0;
    sink.reading({ channel: "b", value: 7, ts: 400 });
    await flushTurn();
    expect(readings()).toHaveLength(2);
    expect(readings()[1].r).toEqual([
      ["a", 299, 99],
      ["b", 400, 7],
    ]);
    expect(readings()[1].dropped).toBe(199);
    stream.stop();
  });

  it("sends no ticks while the link delivers nothing", async () => {
    vi.useFakeTimers({ toFake: ["performance", "setInterval", "clearInterval"] });
    const { out, stream } = setup({ options: { heartbeatMs: 1000, stallMs: 1000 } });
    stream.start();
    vi.advanceTimersByTime(1000);
    const ticks = () => out.sent.filter((m) => m.t === "tick").length;
    expect(ticks()).toBe(1);
    out.holding = true;
    vi.advanceTimersByTime(10_000);
    // The first second's ticks are queued before the stall shows; then none.
    expect(ticks()).toBeLessThanOrEqual(3);
    const queued = ticks();
    vi.advanceTimersByTime(10_000);
    expect(ticks()).toBe(queued);
    out.holding = false;
    out.bufferedAmount = 0;
    vi.advanceTimersByTime(1000);
    expect(ticks()).toBe(queued + 1);
    stream.stop();
  });

  it("stops cleanly: no more messages after stop", async () => {
    const { sink, out, stream } = setup();
    stream.start();
    stream.stop();
    const before = out.sent.length;
    sink.reading({ channel: "a", value: 5, ts: 50 });
    await flushTurn();
    expect(out.sent.length).toBe(before);
  });
});
