import type { ClockJump } from "../../common/clock.js";
import type { Logger } from "../../common/logger.js";
import type { HubEvent } from "../hub/hub.js";
import type { Db } from "../storage/db.js";
import { isStorageError, type StorageHealth } from "../storage/health.js";
import type { HistoryConfig } from "./schema.js";

export interface SeriesPoint {
  t: number;
  mean: number;
  min: number;
  max: number;
}

interface MinuteDelta {
  min: number;
  max: number;
  sum: number;
  count: number;
}

export class HistoryQueryError extends Error {}

/** The most points one query may return; a wider range needs a larger step. */
export const MAX_POINTS = 20_000;

/**
 * Readings history in SQLite: raw samples (decimated to `rawInterval`) for `rawRetention`, and
 * per-minute min/max/mean for `aggregateRetention`. Writes are batched per `flushInterval`.
 * Minute aggregates are written as deltas and merged, so a restart mid-minute loses nothing.
 *
 * Samples keep the wall time they were stamped with, also when that clock was wrong; the clock's
 * jumps are recorded beside them (`clockJumps`), so that a reader knows where times before a jump
 * may be off by its size. Retention goes by the clock as it reads now.
 */
export class HistoryStore {
  /** Buffered by channel name: a channel first seen while the disk is full has no id yet. */
  private raw: Array<[string, number, number]> = [];
  private minutes = new Map<string, MinuteDelta & { channel: string; minute: number }>();
  private jumps: ClockJump[] = [];
  private lastStored = new Map<string, number>();
  private ids = new Map<string, number>();
  private flushTimer: NodeJS.Timeout | undefined;
  private retentionTimer: NodeJS.Timeout | undefined;
  dropped = 0;

  private readonly insertSample;
  private readonly upsertMinute;
  private readonly insertChannel;
  private readonly selectChannel;
  private readonly insertJump;
  private readonly selectJumps;

  constructor(
    private readonly db: Db,
    private readonly config: HistoryConfig,
    private readonly log: Logger,
    private readonly health: StorageHealth,
    private readonly now: () => number = Date.now,
  ) {
    this.insertSample = db.prepare("INSERT INTO samples (channel, ts, value) VALUES (?, ?, ?)");
    this.upsertMinute = db.prepare(
      `INSERT INTO minutes (channel, minute, min, max, sum, count) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (channel, minute) DO UPDATE SET min = min(min, excluded.min), max = max(max, excluded.max),
         sum = sum + excluded.sum, count = count + excluded.count`,
    );
    this.insertChannel = db.prepare("INSERT OR IGNORE INTO channels (name) VALUES (?)");
    this.selectChannel = db.prepare<[string], { id: number }>("SELECT id FROM channels WHERE name = ?");
    this.insertJump = db.prepare("INSERT INTO clock_jumps (at, delta_ms) VALUES (?, ?)");
    // A jump concerns a range when the clock read a time in it just before or just after the jump.
    this.selectJumps = db.prepare<{ from: number; to: number }, ClockJump>(
      `SELECT at, delta_ms AS deltaMs FROM clock_jumps
       WHERE (at >= @from AND at < @to) OR (at - delta_ms >= @from AND at - delta_ms < @to) ORDER BY rowid`,
    );
  }

  /** A jump of the wall clock, kept as long as the per-minute aggregates. */
  recordClockJump(jump: ClockJump): void {
    this.jumps.push(jump);
    this.flush();
  }

  start(): void {
    this.flushTimer = setInterval(() => this.flush(), this.config.flushInterval);
    this.retentionTimer = setInterval(() => this.applyRetention(), 10 * 60_000);
    this.applyRetention();
  }

  /** Writes what is buffered; called on a timer and on shutdown. */
  stop(): void {
    clearInterval(this.flushTimer);
    clearInterval(this.retentionTimer);
    this.flush();
  }

  onHubEvent(e: HubEvent): void {
    if (e.type !== "reading") return;
    const last = this.lastStored.get(e.channel);
    if (this.config.rawInterval === 0 || last === undefined || e.ts - last >= this.config.rawInterval || e.ts < last) {
      this.lastStored.set(e.channel, e.ts);
      this.raw.push([e.channel, e.ts, e.value]);
      if (this.raw.length > this.config.maxBuffered) {
        this.raw.shift();
        if (this.dropped++ % 1000 === 0) this.log.error({ dropped: this.dropped }, "history writes are falling behind; oldest unwritten samples dropped");
      }
    }
    const minute = Math.floor(e.ts / 60_000);
    this.mergeMinute(`${minute}:${e.channel}`, { channel: e.channel, minute, min: e.value, max: e.value, sum: e.value, count: 1 });
  }

  private mergeMinute(key: string, m: MinuteDelta & { channel: string; minute: number }): void {
    const cur = this.minutes.get(key);
    if (!cur) {
      this.minutes.set(key, m);
      return;
    }
    cur.min = Math.min(cur.min, m.min);
    cur.max = Math.max(cur.max, m.max);
    cur.sum += m.sum;
    cur.count += m.count;
  }

  flush(): void {
    if (this.raw.length === 0 && this.minutes.size === 0 && this.jumps.length === 0) return;
    const { raw, minutes, jumps } = this;
    this.raw = [];
    this.minutes = new Map();
    this.jumps = [];
    // Ids of channels inserted in this transaction are kept only once it commits.
    const newIds = new Map<string, number>();
    const id = (name: string) => this.ids.get(name) ?? newIds.get(name) ?? this.insertChannelId(name, newIds);
    try {
      this.db.transaction(() => {
        for (const [c, ts, v] of raw) this.insertSample.run(id(c), ts, v);
        for (const m of minutes.values()) this.upsertMinute.run(id(m.channel), m.minute, m.min, m.max, m.sum, m.count);
        for (const j of jumps) this.insertJump.run(j.at, j.deltaMs);
      })();
      for (const [name, n] of newIds) this.ids.set(name, n);
      this.health.ok("history");
    } catch (err) {
      this.health.failed("history", err);
      this.raw = raw.concat(this.raw).slice(-this.config.maxBuffered);
      const newer = this.minutes;
      this.minutes = minutes;
      for (const [key, m] of newer) this.mergeMinute(key, m);
      this.jumps = jumps.concat(this.jumps);
    }
  }

  /** Deletes what is past retention; with no room to do so now, it waits for the next round. */
  applyRetention(): void {
    const t = this.now();
    try {
      this.db.transaction(() => {
        this.db.prepare("DELETE FROM samples WHERE ts < ?").run(t - this.config.rawRetention);
        this.db.prepare("DELETE FROM minutes WHERE minute < ?").run(Math.floor((t - this.config.aggregateRetention) / 60_000));
        this.db.prepare("DELETE FROM clock_jumps WHERE at < ?").run(t - this.config.aggregateRetention);
      })();
    } catch (err) {
      if (!isStorageError(err)) throw err;
      this.log.warn({ err: (err as Error).message }, "cannot delete old history now; trying again in ten minutes");
    }
  }

  /**
   * A series for charts: buckets of `stepMs` with mean/min/max. Raw samples when the step is
   * under a minute and the range is within raw retention, per-minute aggregates otherwise.
   */
  query(channel: string, from: number, to: number, stepMs: number): SeriesPoint[] {
    if (!(to > from)) throw new HistoryQueryError("'to' must be after 'from'");
    if (!(stepMs >= 1)) throw new HistoryQueryError("'step' must be at least 1 ms");
    if ((to - from) / stepMs > MAX_POINTS) throw new HistoryQueryError(`more than ${MAX_POINTS} points: use a larger step`);
    this.flush();
    const row = this.selectChannel.get(channel);
    if (!row) return [];
    const fromRaw = stepMs < 60_000 && from >= this.now() - this.config.rawRetention;
    const sql = fromRaw
      ? `SELECT CAST(ts / @step AS INTEGER) * @step AS t, avg(value) AS mean, min(value) AS min, max(value) AS max
         FROM samples WHERE channel = @c AND ts >= @from AND ts < @to GROUP BY t ORDER BY t`
      : `SELECT CAST(minute * 60000 / @step AS INTEGER) * @step AS t, sum(sum) / sum(count) AS mean, min(min) AS min, max(max) AS max
         FROM minutes WHERE channel = @c AND minute >= @fromMin AND minute < @toMin GROUP BY t ORDER BY t`;
    // better-sqlite3 binds JS numbers as REAL, hence the CASTs above for integer bucketing.
    return this.db.prepare(sql).all({
      c: row.id,
      step: Math.round(stepMs),
      from: Math.floor(from),
      to: Math.ceil(to),
      fromMin: Math.floor(from / 60_000),
      toMin: Math.ceil(to / 60_000),
    }) as SeriesPoint[];
  }

  /** The clock jumps that concern the range [from, to), in the order they happened. */
  clockJumps(from: number, to: number): ClockJump[] {
    return this.selectJumps.all({ from: Math.floor(from), to: Math.ceil(to) });
  }

  private insertChannelId(name: string, into: Map<string, number>): number {
    this.insertChannel.run(name);
    const id = this.selectChannel.get(name)!.id;
    into.set(name, id);
    return id;
  }
}
