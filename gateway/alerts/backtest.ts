import type { ChannelInfo } from "../../sensors/index.js";
import { AlertEngine, type AlertRecord, type AlertStore } from "./engine.js";
import { conditionsOf, type Rule } from "./schema.js";

export interface Series {
  info: ChannelInfo;
  /** Times (ms) and values, in time order. */
  ts: ArrayLike<number>;
  values: ArrayLike<number>;
}

export interface Interval {
  state: "pending" | "firing";
  start: number;
  /** Null: still open at the end of the range. */
  end: number | null;
  /** The most extreme value while firing (highest, or lowest for a rule that only looks below). */
  peak: number | null;
}

export interface ChannelResult {
  channel: string;
  intervals: Interval[];
  firings: number;
  longestFiringMs: number;
  firingMs: number;
}

export interface BacktestResult {
  from: number;
  to: number;
  /** raw: every stored sample; minute: one value per minute (approximate, see `approximate`). */
  resolution: "raw" | "minute";
  approximate: string | null;
  samples: number;
  channels: ChannelResult[];
  firings: number;
  firingsPerDay: number;
  longestFiringMs: number;
}

class RecordingStore implements AlertStore {
  readonly transitions: Array<{ id: string; from: string; to: string; at: number }> = [];
  loadAlerts(): AlertRecord[] {
    return [];
  }
  saveAlert(): void {}
  recordTransition(t: { id: string; from: string; to: string; at: number }): void {
    this.transitions.push(t);
  }
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Replays stored history through the live alert engine itself, on a clock that follows the
 * samples: readings at their sample times, the engine's once-a-second tick between them, so `for`,
 * `clearFor`, hysteresis, rates and no-data behave exactly as they do live. `sampleMs` is how long
 * one sample stands for (the raw interval, or a minute): ticks inside it do not count as silence.
 */
export function backtest(rule: Rule, series: Series[], from: number, to: number, resolution: BacktestResult["resolution"], sampleMs: number, tickMs = 1000): BacktestResult {
  const store = new RecordingStore();
  let now = from;
  const engine = new AlertEngine({ rules: [rule], flood: { max: Number.MAX_SAFE_INTEGER, window: 1 }, keepResolved: 0 }, store, quiet, () => now);
  for (const s of series) engine.onHubEvent({ type: "channel", info: s.info });

  const lowest = conditionsOf(rule).conditions.every((c) => "below" in c);
  const idOf = (channel: string) => `${rule.id}~${channel}`;
  // Merge the channels' samples in time order.
  const cursor = series.map(() => 0);
  let samples = 0;
  let lastSample = -Infinity;
  let nextTick = from + tickMs;
  const tickUntil = (t: number) => {
    for (; nextTick <= t; nextTick += tickMs) {
      if (nextTick <= lastSample + sampleMs) continue;
      now = nextTick;
      engine.tick();
    }
  };
  for (;;) {
    let pick = -1;
    for (let i = 0; i < series.length; i++) if (cursor[i] < series[i].ts.length && (pick < 0 || series[i].ts[cursor[i]] < series[pick].ts[cursor[pick]])) pick = i;
    if (pick < 0) break;
    const s = series[pick];
    const t = s.ts[cursor[pick]];
    const value = s.values[cursor[pick]];
    cursor[pick]++;
    if (t < from || t >= to) continue;
    tickUntil(t);
    now = t;
    lastSample = t;
    samples++;
    engine.onHubEvent({ type: "reading", channel: s.info.id, ts: t, value, rx: t });
  }
  tickUntil(to);

  const channels = series.map((s) => intervalsOf(s.info.id, store.transitions.filter((x) => x.id === idOf(s.info.id)), to));
  channels.forEach((c, i) => assignPeaks(c, series[i], lowest));
  const firings = channels.reduce((n, c) => n + c.firings, 0);
  const days = Math.max((to - from) / 86_400_000, 1 / 24);
  return {
    from,
    to,
    resolution,
    approximate: resolution === "minute" ? `history older than the raw retention is kept per minute: each minute is replayed as one ${lowest ? "lowest" : conditionsOf(rule).conditions.every((c) => "above" in c) ? "highest" : "mean"} value, so short excursions and exact times are approximate` : null,
    samples,
    channels,
    firings,
    firingsPerDay: firings / days,
    longestFiringMs: Math.max(0, ...channels.map((c) => c.longestFiringMs)),
  };
}

/** A firing still open at the end of the range counts as lasting until then. */
function intervalsOf(channel: string, transitions: Array<{ from: string; to: string; at: number }>, to: number): ChannelResult {
  const intervals: Interval[] = [];
  let open: Interval | undefined;
  for (const tr of transitions) {
    if (open && (tr.to !== open.state || tr.from !== open.state)) {
      open.end = tr.at;
      open = undefined;
    }
    if (tr.to === "pending" || tr.to === "firing") {
      open = { state: tr.to, start: tr.at, end: null, peak: null };
      intervals.push(open);
    }
  }
  const fired = intervals.filter((i) => i.state === "firing");
  const lengths = fired.map((i) => (i.end ?? to) - i.start);
  return { channel, intervals, firings: fired.length, longestFiringMs: Math.max(0, ...lengths), firingMs: lengths.reduce((a, b) => a + b, 0) };
}

function assignPeaks(c: ChannelResult, s: Series, lowest: boolean): void {
  let i = 0;
  for (const iv of c.intervals) {
    if (iv.state !== "firing") continue;
    while (i < s.ts.length && s.ts[i] < iv.start) i++;
    let peak: number | null = null;
    for (let j = i; j < s.ts.length && (iv.end === null || s.ts[j] <= iv.end); j++) peak = peak === null ? s.values[j] : lowest ? Math.min(peak, s.values[j]) : Math.max(peak, s.values[j]);
    iv.peak = peak;
  }
}
