import { Backoff } from "../../sensors/common/backoff.js";
import type { Logger } from "../../sensors/index.js";
import type { Outbox } from "./outbox.js";

/**
 * Delivers one sink's outbox in order. An item leaves the outbox only once delivery is
 * confirmed (PUBACK, HTTP 2xx); failures are retried with capped exponential backoff.
 */
export class OutboxSender {
  private draining = false;
  private timer: NodeJS.Timeout | undefined;
  delivered = 0;
  failures = 0;

  constructor(
    private readonly outbox: Outbox,
    readonly sink: string,
    private readonly deliver: (payload: string) => Promise<void>,
    private readonly log: Logger,
    private readonly maxAttempts = 50,
    private readonly retryMinMs = 1000,
    private readonly retryMaxMs = 5 * 60_000,
  ) {}

  start(pollMs = 1000): void {
    this.timer = setInterval(() => this.kick(), pollMs);
    this.kick();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  kick(): void {
    if (this.draining) return;
    this.draining = true;
    void this.drain().finally(() => (this.draining = false));
  }

  private async drain(): Promise<void> {
    for (;;) {
      const items = this.outbox.due(this.sink, 20);
      if (items.length === 0) return;
      for (const item of items) {
        try {
          await this.deliver(item.payload);
          this.outbox.done(item.id);
          this.delivered++;
        } catch (err) {
          this.failures++;
          if (item.attempts + 1 >= this.maxAttempts) {
            this.outbox.done(item.id);
            this.log.error({ sink: this.sink, attempts: item.attempts + 1, err: (err as Error).message }, "notification dropped after too many failed attempts");
            continue;
          }
          const backoff = new Backoff(this.retryMinMs, this.retryMaxMs, 0.1);
          let delay = 0;
          for (let i = 0; i <= item.attempts; i++) delay = backoff.next();
          this.outbox.retryLater(item.id, delay);
          this.log.warn({ sink: this.sink, retryInMs: delay, err: (err as Error).message }, "notification not delivered; will retry");
          return;
        }
      }
    }
  }
}
