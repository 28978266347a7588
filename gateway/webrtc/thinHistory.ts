/**
 * At most `maxPoints` of a series, chosen so that a chart drawn from them looks like one drawn
 * from all of it: the series is cut into runs of equal length and each run keeps its lowest
 * and highest sample, in time order; the newest sample is kept too, so that the line joins
 * the live readings. Every point kept is a real sample.
 */
export function thinMinMax(ts: number[], values: number[], maxPoints: number): { ts: number[]; values: number[] } {
  const n = ts.length;
  if (n <= maxPoints) return { ts, values };
  const runs = Math.max(1, Math.floor((maxPoints - 1) / 2));
  const out = { ts: [] as number[], values: [] as number[] };
  for (let r = 0; r < runs; r++) {
    const start = Math.floor((r * n) / runs);
    const end = Math.floor(((r + 1) * n) / runs);
    let lo = start;
    let hi = start;
    for (let i = start + 1; i < end; i++) {
      if (values[i] < values[lo]) lo = i;
      if (values[i] > values[hi]) hi = i;
    }
    for (const i of lo === hi ? [lo] : [Math.min(lo, hi), Math.max(lo, hi)]) {
      out.ts.push(ts[i]);
      out.values.push(values[i]);
    }
  }
  if (out.ts.at(-1) !== ts[n - 1]) {
    out.ts.push(ts[n - 1]);
    out.values.push(values[n - 1]);
  }
  return out;
}
