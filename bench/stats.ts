export interface LatencyStats {
  samples: number;
  lost: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Latency at each percentile 0…100, for distribution plots. */
  cdf: number[];
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export interface Matched {
  latencies: number[];
  /** When each of `latencies` was sent (ms, the machine's wall clock), in the same order. */
  sentAt: number[];
  lost: number;
}

/** Latencies from send and receive times keyed by sequence number; unmatched sends count as lost. */
export function matchLatencies(sent: Map<number, number>, received: Array<[number, number]>): Matched {
  const got = new Map(received);
  const latencies: number[] = [];
  const sentAt: number[] = [];
  for (const [seq, t] of sent) {
    const r = got.get(seq);
    if (r === undefined) continue;
    latencies.push(r - t);
    sentAt.push(t);
  }
  return { latencies, sentAt, lost: sent.size - latencies.length };
}

/** Statistics over the samples of one or more runs pooled together. */
export function summarize(runs: Matched[]): LatencyStats {
  const latencies = runs.flatMap((r) => r.latencies).sort((a, b) => a - b);
  return {
    samples: latencies.length,
    lost: runs.reduce((a, r) => a + r.lost, 0),
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? Number.NaN,
    cdf: Array.from({ length: 101 }, (_, p) => percentile(latencies, Math.max(p, 0.001))),
  };
}

/** Least-squares slope of y over x. */
export function slope(points: Array<[number, number]>): number {
  const mx = points.reduce((a, [x]) => a + x, 0) / points.length;
  const my = points.reduce((a, [, y]) => a + y, 0) / points.length;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return num / den;
}

/** The middle value (the upper of the two middle ones for an even count). */
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
