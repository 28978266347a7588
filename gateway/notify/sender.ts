import { Backoff } from "../../common/backoff.js";
import type { Logger } from "../../common/logger.js";
import { MAX_RETRY_MS, type Outbox } from "./outbox.js";

/** `attempts`: how often delivering this item failed before. */
type Deliver = (payload: string, signal: AbortSignal, attempts: number) => Promise<void>;

/**
 * Delivers one sink's outbox in order. An item leaves the outbox only once delivery is
 * confirmed (PUBACK, HTTP 2xx); failures are retried with capped exponential backoff.
 */
export class OutboxSender {
  private draining: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly stopping = new AbortController();
  private readonly stopped = new Promise<"stopped">((resolve) => this.stopping.signal.addEventListener("abort", () => resolve("stopped"), { once: true }));
  delivered = 0;
  failures = 0;

  constructor(
    private readonly outbox: Outbox,
    readonly sink: string,
    private readonly deliver: Deliver,
    private readonly log: Logger,
    private readonly maxAttempts = 50,
    private readonly retryMinMs = 1000,
    private readonly retryMaxMs = MAX_RETRY_MS,
  ) {}

  start(pollMs = 1000): void {
    this.timer = setInterval(() => this.kick(), pollMs);
    this.kick();
  }

  /**
   * Abandons a delivery in flight (its item stays in the outbox and is sent again after a
   * restart) and resolves once the sender no longer touches the outbox, so the database
   * can be closed.
   */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.stopping.abort();
    await this.draining;
  }

  kick(): void {
    if (this.draining || this.stopping.signal.aborted) return;
    this.draining = this.drain().finally(() => (this.draining = undefined));
  }

  private async drain(): Promise<void> {
    const { signal } = this.stopping;
    for (;;) {
      const items = this.outbox.due(this.sink, 20);
      if (items.length === 0) return;
      for (const item of items) {
        let failure: Error | undefined;
        try {
          if ((await Promise.race([this.deliver(item.payload, signal, item.attempts), this.stopped])) === "stopped") return;
        } catch (err) {
          failure = err as Error;
        }
        if (signal.aborted) return;
        if (!failure) {
          this.outbox.done(item.id);
          this.delivered++;
          continue;
        }
        this.failures++;
        if (item.attempts + 1 >= this.maxAttempts) {
          this.outbox.done(item.id);
          this.log.error({ sink: this.sink, attempts: item.attempts + 1, err: failure.message }, "notification dropped after too many failed attempts");
          continue;
        }
        const backoff = new Backoff(this.retryMinMs, this.retryMaxMs, 0.1);
        let delay = 0;
        for (let i = 0; i <= item.attempts; i++) delay = backoff.next();
        this.outbox.retryLater(item.id, delay);
        this.log.warn({ sink: this.sink, retryInMs: delay, err: failure.message }, "notification not delivered; will retry");
        return;
      }
    }
  }
}
