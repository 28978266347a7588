import { systemClock, type Clock } from "../../common/clock.js";
import type { Db } from "../storage/db.js";
import { isStorageError, WriteQueue, type StorageHealth } from "../storage/health.js";

const WRITER = "notifications";

/** The longest a failed delivery waits before it is tried again. */
export const MAX_RETRY_MS = 5 * 60_000;

export interface OutboxItem {
  id: number;
  payload: string;
  attempts: number;
}

interface Unwritten extends OutboxItem {
  sink: string;
  created: number;
}

/**
 * Notifications waiting for delivery, in SQLite so that a broker outage or a gateway restart
 * loses none. Bounded per sink: beyond `maxPerSink` the oldest are dropped (and counted).
 *
 * A full disk does not silence the pager: a notification that cannot be stored waits in memory,
 * in order after the stored ones, and is delivered from there (then never written); a delivery or
 * retry of a stored one that cannot be written is remembered in memory until it can. Ids are
 * given here, so an item keeps its id when it is written late.
 *
 * A retry waits on the monotonic clock. Its wall time (`next_at`) is stored only for the next run,
 * which believes it for at most `maxRetryMs`: a longer wait means the clock was set back.
 */
export class Outbox {
  dropped = 0;
  /** Deletions and retries of stored items that wait for room. */
  private readonly writes: WriteQueue;
  private unwritten: Unwritten[] = [];
  private lastId: number;
  private readonly retryAt = new Map<number, number>();
  /** Stored items delivered (or given up) whose deletion waits, by sink. */
  private readonly gone = new Map<number, string>();
  /** Stored items' failed attempts not written yet. */
  private readonly moreAttempts = new Map<number, number>();

  constructor(
    private readonly db: Db,
    private readonly health: StorageHealth,
    private readonly maxPerSink = 10_000,
    private readonly clock: Clock = systemClock,
    private readonly maxRetryMs = MAX_RETRY_MS,
  ) {
    this.writes = new WriteQueue(WRITER, health);
    // As AUTOINCREMENT would: never an id used before, also of a deleted item.
    this.lastId = (db.prepare("SELECT max(coalesce((SELECT max(id) FROM outbox), 0), coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0)) AS id").get() as { id: number }).id;
  }

  add(sink: string, payload: string): void {
    const t = this.clock.wall();
    this.unwritten.push({ id: ++this.lastId, sink, payload, created: t, attempts: 0 });
    const ofSink = this.unwritten.filter((u) => u.sink === sink);
    if (ofSink.length > this.maxPerSink) {
      this.unwritten.splice(this.unwritten.indexOf(ofSink[0]), 1);
      this.dropped++;
    }
    this.retryWrites();
  }

  /** Writes what waits for room, in order; called on each change and every second. */
  retryWrites(): void {
    while (this.unwritten.length) {
      const item = this.unwritten[0];
      try {
        this.insert(item);
      } catch (err) {
        if (!isStorageError(err)) throw err;
        return this.health.failed(WRITER, err);
      }
      this.unwritten.shift();
    }
    this.writes.drain();
  }

  private insert(item: Unwritten): void {
    const next = this.retryAt.has(item.id) ? this.clock.wall() + Math.max(0, this.retryAt.get(item.id)! - this.clock.mono()) : item.created;
    this.db.transaction(() => {
      this.db.prepare("INSERT INTO outbox (id, sink, payload, created, attempts, next_at) VALUES (?, ?, ?, ?, ?, ?)").run(item.id, item.sink, item.payload, item.created, item.attempts, next);
      const { n } = this.db.prepare("SELECT count(*) AS n FROM outbox WHERE sink = ?").get(item.sink) as { n: number };
      if (n > this.maxPerSink) {
        const excess = n - this.maxPerSink;
        this.db.prepare("DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE sink = ? ORDER BY id LIMIT ?)").run(item.sink, excess);
        this.dropped += excess;
      }
    })();
  }

  /** The oldest items, in order, up to the first that is waiting for a retry: nothing overtakes it. */
  due(sink: string, limit: number): OutboxItem[] {
    const stored = this.db
      .prepare("SELECT id, payload, attempts, next_at FROM outbox WHERE sink = ? ORDER BY id LIMIT ?")
      .all(sink, limit + this.gone.size) as (OutboxItem & { next_at: number })[];
    const [wall, mono] = [this.clock.wall(), this.clock.mono()];
    const head = [
      ...stored.filter((i) => !this.gone.has(i.id)).map((i) => ({ ...i, attempts: i.attempts + (this.moreAttempts.get(i.id) ?? 0) })),
      ...this.unwritten.filter((u) => u.sink === sink).map((u) => ({ ...u, next_at: u.created })),
    ].slice(0, limit);
    const waits = (i: { id: number; next_at: number }) => {
      const at = this.retryAt.get(i.id);
      return at !== undefined ? at > mono : i.next_at > wall && i.next_at - wall <= this.maxRetryMs;
    };
    const waiting = head.findIndex(waits);
    return head.slice(0, waiting < 0 ? head.length : waiting).map(({ id, payload, attempts }) => ({ id, payload, attempts }));
  }

  pending(sink: string): number {
    const stored = (this.db.prepare("SELECT count(*) AS n FROM outbox WHERE sink = ?").get(sink) as { n: number }).n;
    const gone = [...this.gone.values()].filter((s) => s === sink).length;
    return stored - gone + this.unwritten.filter((u) => u.sink === sink).length;
  }

  done(id: number): void {
    this.retryAt.delete(id);
    const i = this.unwritten.findIndex((u) => u.id === id);
    if (i >= 0) {
      this.unwritten.splice(i, 1);
      return;
    }
    const sink = (this.db.prepare("SELECT sink FROM outbox WHERE id = ?").get(id) as { sink: string } | undefined)?.sink;
    if (sink === undefined) return;
    this.gone.set(id, sink);
    this.moreAttempts.delete(id);
    this.writes.run(() => {
      this.db.prepare("DELETE FROM outbox WHERE id = ?").run(id);
      this.gone.delete(id);
    });
  }

  retryLater(id: number, delayMs: number): void {
    this.retryAt.set(id, this.clock.mono() + delayMs);
    const item = this.unwritten.find((u) => u.id === id);
    if (item) {
      item.attempts++;
      return;
    }
    const at = this.clock.wall() + delayMs;
    this.moreAttempts.set(id, (this.moreAttempts.get(id) ?? 0) + 1);
    this.writes.run(() => {
      this.db.prepare("UPDATE outbox SET attempts = attempts + 1, next_at = ? WHERE id = ?").run(at, id);
      const more = (this.moreAttempts.get(id) ?? 1) - 1;
      if (more > 0) this.moreAttempts.set(id, more);
      else this.moreAttempts.delete(id);
    });
  }
}
