import type { Db } from "../storage/db.js";

export interface OutboxItem {
  id: number;
  payload: string;
  attempts: number;
}

/**
 * Notifications waiting for delivery, in SQLite so that a broker outage or a gateway restart
 * loses none. Bounded per sink: beyond `maxPerSink` the oldest are dropped (and counted).
 */
export class Outbox {
  dropped = 0;

  constructor(
    private readonly db: Db,
    private readonly maxPerSink = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  add(sink: string, payload: string): void {
    const t = this.now();
    this.db.prepare("INSERT INTO outbox (sink, payload, created, next_at) VALUES (?, ?, ?, ?)").run(sink, payload, t, t);
    const { n } = this.db.prepare("SELECT count(*) AS n FROM outbox WHERE sink = ?").get(sink) as { n: number };
    if (n > this.maxPerSink) {
      const excess = n - this.maxPerSink;
      this.db.prepare("DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE sink = ? ORDER BY id LIMIT ?)").run(sink, excess);
      this.dropped += excess;
    }
  }

  /** The oldest items that are due, in order. */
  due(sink: string, limit: number): OutboxItem[] {
    return this.db.prepare("SELECT id, payload, attempts FROM outbox WHERE sink = ? AND next_at <= ? ORDER BY id LIMIT ?").all(sink, this.now(), limit) as OutboxItem[];
  }

  pending(sink: string): number {
    return (this.db.prepare("SELECT count(*) AS n FROM outbox WHERE sink = ?").get(sink) as { n: number }).n;
  }

  done(id: number): void {
    this.db.prepare("DELETE FROM outbox WHERE id = ?").run(id);
  }

  retryLater(id: number, delayMs: number): void {
    this.db.prepare("UPDATE outbox SET attempts = attempts + 1, next_at = ? WHERE id = ?").run(this.now() + delayMs, id);
  }
}
