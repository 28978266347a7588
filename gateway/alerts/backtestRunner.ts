import { Worker } from "node:worker_threads";
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

type WorkerReply = { ok: BacktestResult } | { error: string };

/**
 * Runs backtests in a worker thread, one at a time, so a long replay never holds up the
 * gateway's event loop; ranges and sizes that would take too long are refused up front.
 * The worker is kept while backtests keep coming and ended when idle, stopped or timed out.
 */
export class BacktestRunner {
  private busy = false;
  private worker: Worker | undefined;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dbFile: string,
    private readonly history: { flush(): void; rawRetention: number; rawInterval: number },
    private readonly now: () => number = Date.now,
  ) {}

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
    clearTimeout(this.idleTimer);
    try {
      this.history.flush();
      return await this.ask({ rule, channels, from, to, rawFrom });
    } finally {
      this.busy = false;
      this.endWhenIdle();
    }
  }

  /** Starts the worker ahead of a backtest that is likely to come. */
  warm(): void {
    if (this.busy) return;
    this.worker ??= this.start();
    this.endWhenIdle();
  }

  /** Ends the worker (a later backtest starts a new one). */
  close(): void {
    clearTimeout(this.idleTimer);
    void this.worker?.terminate();
    this.worker = undefined;
  }

  private ask(job: BacktestJob): Promise<BacktestResult> {
    const worker = (this.worker ??= this.start());
    return new Promise<BacktestResult>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        worker.off("message", onReply).off("error", onFault).off("exit", onExit);
      };
      const onReply = (reply: WorkerReply) => {
        done();
        if ("ok" in reply) resolve(reply.ok);
        else reject(new Error(`backtest failed: ${reply.error}`));
      };
      const onFault = (err: Error) => {
        done();
        reject(err);
      };
      const onExit = (code: number) => onFault(new Error(`the backtest worker exited (code ${code})`));
      const timer = setTimeout(() => {
        done();
        this.close();
        reject(new AlertError(503, `the backtest took longer than ${BACKTEST_LIMITS.timeoutMs / 1000} s and was stopped: choose a shorter range`));
      }, BACKTEST_LIMITS.timeoutMs);
      worker.on("message", onReply).on("error", onFault).on("exit", onExit);
      worker.postMessage(job);
    });
  }

  private start(): Worker {
    const worker = new Worker(new URL("./backtestWorker.js", import.meta.url), { workerData: this.dbFile, resourceLimits: { maxOldGenerationSizeMb: 256 } });
    // A worker that fails while no backtest waits on it (one only warmed) is dropped; the next backtest starts another.
    worker.on("error", () => this.forget(worker)).on("exit", () => this.forget(worker));
    worker.unref();
    return worker;
  }

  private forget(worker: Worker): void {
    if (this.worker === worker) this.worker = undefined;
  }

  private endWhenIdle(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.close(), WARM_MS).unref();
  }
}
