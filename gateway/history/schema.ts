import { z } from "zod";
import { durationSchema } from "../../common/durations.js";

export const historySchema = z
  .object({
    /** Store at most one raw sample per channel per interval (0 keeps every reading). */
    rawInterval: durationSchema.default(1000),
    rawRetention: durationSchema.default(24 * 3_600_000),
    /** Per-minute min/max/mean are kept this long. */
    aggregateRetention: durationSchema.default(90 * 24 * 3_600_000),
    /**
     * Readings are appended as one block per interval: at most this much history is lost in a power
     * cut. Each block costs about three 4 KiB pages written, so 30 s keeps the demo machine under
     * 100 MB a day (86 MB measured, docs/benchmarks.md); 5 s costs about 250 MB.
     */
    flushInterval: durationSchema.default(30_000),
    /** Unwritten samples kept at most (if the disk stalls); the oldest are dropped beyond it. */
    maxBuffered: z.number().int().min(100).max(1_000_000).default(100_000),
  })
  .strict();
export type HistoryConfig = z.output<typeof historySchema>;
