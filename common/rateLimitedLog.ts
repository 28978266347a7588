import { systemClock, type Clock } from "./clock.js";
import type { Logger } from "./logger.js";

/**
 * Logs the first rejection at once, then at most one summary per interval, so a
 * board spewing garbage cannot flood the journal.
 */
export class RateLimitedWarn {
  private suppressed = 0;
  private lastLogAt = -Infinity;

  constructor(
    private readonly log: Logger,
    private readonly intervalMs = 10_000,
    private readonly clock: Clock = systemClock,
  ) {}

  warn(fields: object, msg: string): void {
    const t = this.clock.mono();
    if (t - this.lastLogAt >= this.intervalMs) {
      this.log.warn({ ...fields, suppressedSinceLastLog: this.suppressed }, msg);
      this.lastLogAt = t;
      this.suppressed = 0;
    } else {
      this.suppressed++;
    }
  }
}
