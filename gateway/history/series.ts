import { IdleWorker } from "../../common/idleWorker.js";
import type { Db } from "../storage/db.js";
import { readRawSamples, type MinuteDelta } from "./blocks.js";

export interface SeriesPoint {
  t: number;
  mean: number;
  min: number;
  max: number;
}

/** The lower min, the higher max, the sums and the counts together. */
export function addInto(into: MinuteDelta, d: MinuteDelta): void {
  into.min = Math.min(into.min, d.min);
  into.max = Math.max(into.max, d.max);
  into.sum += d.sum;
  into.count += d.count;
}

/** Min, max and mean per bucket of `step` ms, in time order. */
export class Buckets {
  private readonly byStart = new Map<number, MinuteDelta>();

  constructor(private readonly step: number) {}

  add(t: number, d: MinuteDelta): void {
    const start = Math.floor(t / this.step) * this.step;
    const b = this.byStart.get(start);
    if (b) addInto(b, d);
    else this.byStart.set(start, { min: d.min, max: d.max, sum: d.sum, count: d.count });
  }

  /** Buckets as `pack` wrote them (another thread's, say). */
  addPacked(packed: Float64Array): void {
    for (let i = 0; i < packed.length; i += 5) this.add(packed[i], { min: packed[i + 1], max: packed[i + 2], sum: packed[i + 3], count: packed[i + 4] });
  }

  /** Start, min, max, sum and count of each bucket, one after another: cheap to hand to another thread. */
  pack(): Float64Array {
    const out = new Float64Array(this.byStart.size * 5);
    let i = 0;
    for (const [t, b] of this.byStart) out.set([t, b.min, b.max, b.sum, b.count], (i++) * 5);
    return out;
  }

  points(): SeriesPoint[] {
    return [...this.byStart].sort(([a], [b]) => a - b).map(([t, b]) => ({ t, mean: b.sum / b.count, min: b.min, max: b.max }));
  }
}

/**
 * What a history query reads from the database: raw samples of [from, to) in blocks up to
 * `upToBlock` (those written when the query began), or the per-minute table's rows of [fromMin, toMin).
 */
export type StoredSeriesJob =
  | { kind: "raw"; channel: number; from: number; to: number; step: number; upToBlock: number }
  | { kind: "minutes"; channel: number; fromMin: number; toMin: number; step: number };

/** The stored part of a series, bucketed and packed (`Buckets.pack`). */
export function readStoredSeries(db: Db, job: StoredSeriesJob): Float64Array {
  const buckets = new Buckets(job.step);
  if (job.kind === "raw") {
    const stored = readRawSamples(db, job.channel, Math.floor(job.from), Math.ceil(job.to), job.upToBlock);
    stored.ts.forEach((ts, i) => {
      const v = stored.values[i];
      if (ts >= job.from && ts < job.to) buckets.add(ts, { min: v, max: v, sum: v, count: 1 });
    });
  } else {
    const rows = db.prepare<{ c: number; fromMin: number; toMin: number }, { minute: number } & MinuteDelta>(
      "SELECT minute, min, max, sum, count FROM minutes WHERE channel = @c AND minute >= @fromMin AND minute < @toMin",
    );
    for (const m of rows.iterate({ c: job.channel, fromMin: job.fromMin, toMin: job.toMin })) buckets.add(m.minute * 60_000, m);
  }
  return buckets.pack();
}

/**
 * A worker thread that reads stored series from the database file, so that a wide query (90 days
 * of minutes: 130,000 rows, about 130 ms here and several times that on a Pi) never holds up the
 * live streams. At most 8 queries wait for it; one more is refused (WorkerBusyError).
 */
export function seriesReader(dbFile: string, script = new URL("./seriesWorker.js", import.meta.url)): IdleWorker<StoredSeriesJob, Float64Array> {
  return new IdleWorker(script, "history reader", { idleMs: 60_000, timeoutMs: 20_000, maxWaiting: 8, workerData: dbFile, resourceLimits: { maxOldGenerationSizeMb: 64 } });
}
