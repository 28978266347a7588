import { systemClock, type Clock } from "../../common/clock.js";
import type { Db } from "../storage/db.js";
import { WriteQueue, type StorageHealth } from "../storage/health.js";

/** The longest a failed delivery waits before it is tried again. */
export const MAX_RETRY_MS = 5 * 60_000;

export interface OutboxItem {
  id: number;
  payload: string;
  attempts: number;
}

/**
 * Notifications waiting for delivery, in SQLite so that a broker outage or a gateway restart
 * loses none. Bounded per sink: beyond `maxPerSink` the oldest are dropped (and counted). While
 * the disk is full, new notifications wait in memory, in order, and are delivered once they are
 * written.
 *
 * A retry waits on the monotonic clock. Its wall time (`next_at`) is stored only for the next run,
 * which believes it for at most `maxRetryMs`: a longer wait means the clock was set back.
 */
export class Outbox {
  dropped = 0;
  readonly writes: WriteQueue;
  private readonly retryAt = new Map<number, number>();

  constructor(
    private readonly db: Db,
    health: StorageHealth,
    private readonly maxPerSink = 10_000,
    private readonly clock: Clock = systemClock,
    private readonly maxRetryMs = MAX_RETRY_MS,
  ) {
    this.writes = new WriteQueue("notifications", health);
  }

  add(sink: string, payload: string): void {
    const t = this.clock.wall();
    this.writes.run(() => this.insert(sink, payload, t));
  }

  private insert(sink: string, payload: string, t: number): void {
    this.db.prepare("INSERT INTO outbox (sink, payload, created, next_at) VALUES (?, ?, ?, ?)").run(sink, payload, t, t);
    const { n } = this.db.prepare("SELECT count(*) AS n FROM outbox WHERE sink = ?").get(sink) as { n: number };
    if (n > this.maxPerSink) {
      const excess = n - this.maxPerSink;
      this.db.prepare("DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE sink = ? ORDER BY id LIMIT ?)").run(sink, excess);
      this.dropped += excess;
    }
  }

  /**
   * The oldest items, in order, up to the first that is waiting for a retry: nothing overtakes it.
   * None while changes wait to be written, or a delivered item would be sent again and again.
   */
  due(sink: string, limit: number): OutboxItem[] {
    if (this.writes.pending) return [];
    const head = this.db.prepare("SELECT id, payload, attempts, next_at FROM outbox WHERE sink = ? ORDER BY id LIMIT ?").all(sink, limit) as (OutboxItem & { next_at: number })[];
    const [wall, mono] = [this.clock.wall(), this.clock.mono()];
    const waits = (i: { id: number; next_at: number }) => {
      const at = this.retryAt.get(i.id);
      return at !== undefined ? at > mono : i.next_at > wall && i.next_at - wall <= this.maxRetryMs;
    };
    const waiting = head.findIndex(waits);
    return head.slice(0, waiting < 0 ? head.length : waiting).map(({ id, payload, attempts }) => ({ id, payload, attempts }));
  }

  pending(sink: string): number {
    return (this.db.prepare("SELECT count(*) AS n FROM outbox WHERE sink = ?").get(sink) as { n: number }).n;
  }

  done(id: number): void {
    this.writes.run(() => this.db.prepare("DELETE FROM outbox WHERE id = ?").run(id));
    this.retryAt.delete(id);
  }

  retryLater(id: number, delayMs: number): void {
    const at = this.clock.wall() + delayMs;
    this.writes.run(() => this.db.prepare("UPDATE outbox SET attempts = attempts + 1, next_at = ? WHERE id = ?").run(at, id));
    this.retryAt.set(id, this.clock.mono() + delayMs);
  }
}
