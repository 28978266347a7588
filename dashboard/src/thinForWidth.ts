import type { Series } from "./store.js";

/** First index whose time is after `t`, or at `t` with `orAt` (times ascending). */
function firstFrom(ts: number[], t: number, orAt: boolean): number {
  let [lo, hi] = [0, ts.length];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid] < t || (!orAt && ts[mid] === t)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The points of [from, to] that a chart `width` pixels wide can show: per pixel column its lowest
 * and its highest point, in time order, and the last point. A spike stays visible, and drawing
 * costs the width, not the number of readings (an hour of a 10 Hz channel is 36,000 points).
 */
export function thinForWidth(s: Series, from: number, to: number, width: number): Series {
  const start = firstFrom(s.ts, from, true);
  const end = firstFrom(s.ts, to, false);
  const columns = Math.max(1, Math.floor(width));
  if (end - start <= 2 * columns) return { ts: s.ts.slice(start, end), values: s.values.slice(start, end) };
  const out: Series = { ts: [], values: [] };
  const perColumn = (to - from) / columns;
  let column = -1;
  let [lo, hi] = [-1, -1];
  const emit = () => {
    if (lo < 0) return;
    for (const i of lo === hi ? [lo] : lo < hi ? [lo, hi] : [hi, lo]) {
      out.ts.push(s.ts[i]);
      out.values.push(s.values[i]);
    }
  };
  for (let i = start; i < end; i++) {
    const c = Math.floor((s.ts[i] - from) / perColumn);
    if (c !== column) {
      emit();
      [column, lo, hi] = [c, i, i];
      continue;
    }
    if (s.values[i] < s.values[lo]) lo = i;
    if (s.values[i] > s.values[hi]) hi = i;
  }
  emit();
  const last = end - 1;
  if (out.ts.at(-1) !== s.ts[last]) {
    out.ts.push(s.ts[last]);
    out.values.push(s.values[last]);
  }
  return out;
}
