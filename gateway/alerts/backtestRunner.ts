import { IdleWorker, WorkerTimeoutError } from "../../common/idleWorker.js";
import type { ChannelInfo } from "../../sensors/index.js";
import type { BacktestResult } from "./backtest.js";
import type { BacktestJob } from "./backtestWorker.js";
import { AlertError } from "./engine.js";
import type { Rule } from "./schema.js";

export const BACKTEST_LIMITS = {
  channels: 20,
  rangeMs: 90 * 86_400_000,
  /** Samples one backtest may replay (about 2–3 s of a Pi's core). */
  samples: 3_000_000,
  timeoutMs: 20_000,
};

/** How long the worker stays loaded after a backtest: an engineer editing a rule gets each replay without its start-up. */
const WARM_MS = 120_000;

/**
 * Runs backtests in a worker thread, one at a time, so a long replay never holds up the
 * gateway's event loop; ranges and sizes that would take too long are refused up front.
 * The worker is kept while backtests keep coming and ended when idle, stopped or timed out.
 */
export class BacktestRunner {
  private readonly worker: IdleWorker<BacktestJob, BacktestResult>;
  private busy = false;

  constructor(
    dbFile: string,
    private readonly history: { flush(): void; rawRetention: number; rawInterval: number },
    private readonly now: () => number = Date.now,
  ) {
    this.worker = new IdleWorker(new URL("./backtestWorker.js", import.meta.url), "backtest worker", {
      idleMs: WARM_MS,
      timeoutMs: BACKTEST_LIMITS.timeoutMs,
      maxWaiting: 1,
      workerData: dbFile,
      resourceLimits: { maxOldGenerationSizeMb: 256 },
    });
  }

  async run(rule: Rule, channels: ChannelInfo[], from: number, to: number): Promise<BacktestResult> {
    if (!(to > from)) throw new AlertError(400, "to: must be after from");
    if (to - from > BACKTEST_LIMITS.rangeMs) throw new AlertError(400, "from: a backtest covers at most 90 days");
    if (channels.length === 0) throw new AlertError(400, "channels: the rule matches no channel this gateway has");
    if (channels.length > BACKTEST_LIMITS.channels) throw new AlertError(400, `channels: the rule matches ${channels.length} channels; a backtest replays at most ${BACKTEST_LIMITS.channels}: narrow the pattern`);
    // Raw samples where they are still kept (from the next whole minute), per-minute values before.
    const rawFrom = Math.max(from, Math.ceil((this.now() - this.history.rawRetention) / 60_000) * 60_000);
    const rawSpan = Math.max(0, to - rawFrom);
    const estimate = channels.length * (rawSpan / Math.max(this.history.rawInterval, 1000) + (to - from - rawSpan) / 60_000);
    if (estimate > BACKTEST_LIMITS.samples) throw new AlertError(400, `about ${Math.round(estimate)} samples to replay, more than ${BACKTEST_LIMITS.samples}: choose a shorter range or fewer channels`);
    if (this.busy) throw new AlertError(429, "another backtest is running: try again in a moment");
    this.busy = true;
    try {
      this.history.flush();
      return await this.worker.run({ rule, channels, from, to, rawFrom });
    } catch (err) {
      if (err instanceof WorkerTimeoutError) throw new AlertError(503, `the backtest took longer than ${BACKTEST_LIMITS.timeoutMs / 1000} s and was stopped: choose a shorter range`);
      throw err;
    } finally {
      this.busy = false;
    }
  }

  /** Starts the worker ahead of a backtest that is likely to come. */
  warm(): void {
    this.worker.warm();
  }

  /** Ends the worker (a later backtest starts a new one). */
  close(): void {
    this.worker.close();
  }
}
