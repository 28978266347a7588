import type { ChannelInfo } from "../../sensors/index.js";
import { virtualClock } from "../../common/clock.js";
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
  /** raw: every stored sample; minute: one value per minute; mixed: per minute before `rawFrom`, raw after. */
  resolution: "raw" | "minute" | "mixed";
  /** Where the raw samples begin (per-minute values before it). */
  rawFrom: number;
  approximate: string | null;
  samples: number;
  channels: ChannelResult[];
  firings: number;
  firingsPerDay: number;
  longestFiringMs: number;
}

const MINUTE = 60_000;

/** Which of a minute's values stands for it: the one the rule would notice first. */
export function minuteValue(rule: Rule): "highest" | "lowest" | "mean" {
  const conditions = conditionsOf(rule).conditions;
  return conditions.every((c) => "above" in c) ? "highest" : conditions.every((c) => "below" in c) ? "lowest" : "mean";
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
 * `clearFor`, hysteresis, rates and no-data behave exactly as they do live. Before `rawFrom` the
 * series holds one value per minute: it is read at the minute's start and again at its end, as if
 * it had held the whole minute, so `for` up to a minute is met and the minute is not silence;
 * there the tick comes once a minute.
 */
export function backtest(rule: Rule, stored: Series[], from: number, to: number, rawFrom = from): BacktestResult {
  const series = stored.map((s) => heldThroughTheMinute(s, rawFrom));
  const samples = stored.reduce((n, s) => n + countIn(s.ts, from, to), 0);
  const store = new RecordingStore();
  let now = from;
  const engine = new AlertEngine({ rules: [rule], flood: { max: Number.MAX_SAFE_INTEGER, window: 1 }, keepResolved: 0 }, store, quiet, virtualClock(() => now));
  for (const s of series) engine.onHubEvent({ type: "channel", info: s.info });

  const lowest = conditionsOf(rule).conditions.every((c) => "below" in c);
  const idOf = (channel: string) => `${rule.id}~${channel}`;
  // Merge the channels' samples in time order.
  const cursor = series.map(() => 0);
  const stepAt = (t: number) => (t < rawFrom ? MINUTE : 1000);
  let nextTick = from + stepAt(from);
  const tickUntil = (t: number) => {
    for (; nextTick <= t; nextTick += stepAt(nextTick)) {
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
    engine.onHubEvent({ type: "reading", channel: s.info.id, ts: t, value, rx: t });
  }
  tickUntil(to);

  const channels = series.map((s) => intervalsOf(s.info.id, store.transitions.filter((x) => x.id === idOf(s.info.id)), to));
  channels.forEach((c, i) => assignPeaks(c, series[i], lowest));
  const firings = channels.reduce((n, c) => n + c.firings, 0);
  const days = Math.max((to - from) / 86_400_000, 1 / 24);
  const resolution = rawFrom <= from ? "raw" : rawFrom >= to ? "minute" : "mixed";
  return {
    from,
    to,
    resolution,
    rawFrom,
    approximate:
      resolution === "raw"
        ? null
        : `history older than the raw retention is kept per minute: before ${new Date(rawFrom).toISOString()} each minute is replayed as one ${minuteValue(rule)} value, so short excursions and exact times there are approximate`,
    samples,
    channels,
    firings,
    firingsPerDay: firings / days,
    longestFiringMs: Math.max(0, ...channels.map((c) => c.longestFiringMs)),
  };
}

/** Per-minute values (before `rawFrom`) read twice: at the minute's start and at its last millisecond. */
function heldThroughTheMinute(s: Series, rawFrom: number): Series {
  if (s.ts.length === 0 || s.ts[0] >= rawFrom) return s;
  const ts: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < s.ts.length; i++) {
    ts.push(s.ts[i]);
    values.push(s.values[i]);
    if (s.ts[i] < rawFrom) {
      ts.push(s.ts[i] + MINUTE - 1);
      values.push(s.values[i]);
    }
  }
  return { info: s.info, ts, values };
}

function countIn(ts: ArrayLike<number>, from: number, to: number): number {
  let n = 0;
  for (let i = 0; i < ts.length; i++) if (ts[i] >= from && ts[i] < to) n++;
  return n;
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
