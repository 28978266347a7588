import type { ClockJump } from "../../common/clock.js";
import type { Logger } from "../../common/logger.js";
import type { HubEvent } from "../hub/hub.js";
import type { Db } from "../storage/db.js";
import type { StorageHealth } from "../storage/health.js";
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
  private raw: Array<[number, number, number]> = [];
  private minutes = new Map<string, MinuteDelta>();
  private lastStored = new Map<number, number>();
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
    this.insertJump.run(jump.at, jump.deltaMs);
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
    const id = this.channelId(e.channel);
    const last = this.lastStored.get(id);
    if (this.config.rawInterval === 0 || last === undefined || e.ts - last >= this.config.rawInterval || e.ts < last) {
      this.lastStored.set(id, e.ts);
      this.raw.push([id, e.ts, e.value]);
      if (this.raw.length > this.config.maxBuffered) {
        this.raw.shift();
        if (this.dropped++ % 1000 === 0) this.log.error({ dropped: this.dropped }, "history writes are falling behind; oldest unwritten samples dropped");
      }
    }
    const key = `${id}:${Math.floor(e.ts / 60_000)}`;
    const m = this.minutes.get(key);
    if (m) {
      m.min = Math.min(m.min, e.value);
      m.max = Math.max(m.max, e.value);
      m.sum += e.value;
      m.count++;
    } else {
      this.minutes.set(key, { min: e.value, max: e.value, sum: e.value, count: 1 });
    }
  }

  flush(): void {
    if (this.raw.length === 0 && this.minutes.size === 0) return;
    const raw = this.raw;
    const minutes = this.minutes;
    this.raw = [];
    this.minutes = new Map();
    try {
      this.db.transaction(() => {
        for (const [c, ts, v] of raw) this.insertSample.run(c, ts, v);
        for (const [key, m] of minutes) {
          const [c, minute] = key.split(":").map(Number);
          this.upsertMinute.run(c, minute, m.min, m.max, m.sum, m.count);
        }
      })();
      this.health.ok("history");
    } catch (err) {
      this.health.failed("history", err);
      this.raw = raw.concat(this.raw).slice(-this.config.maxBuffered);
      for (const [key, m] of minutes) {
        const cur = this.minutes.get(key);
        this.minutes.set(key, cur ? { min: Math.min(cur.min, m.min), max: Math.max(cur.max, m.max), sum: cur.sum + m.sum, count: cur.count + m.count } : m);
      }
    }
  }

  applyRetention(): void {
    const t = this.now();
    this.db.prepare("DELETE FROM samples WHERE ts < ?").run(t - this.config.rawRetention);
    this.db.prepare("DELETE FROM minutes WHERE minute < ?").run(Math.floor((t - this.config.aggregateRetention) / 60_000));
    this.db.prepare("DELETE FROM clock_jumps WHERE at < ?").run(t - this.config.aggregateRetention);
  }

  /**
   * A series for charts: buckets of `stepMs` with mean/min/max. Raw samples when the step is
   * under a minute and the range is within raw retention, per-minute aggregates otherwise.
   */
  query(channel: string, from: number, to: number, stepMs: number): SeriesPoint[] {
    if (!(to > from)) throw new HistoryQueryError("'to' must be after 'from'");
    if (!(stepMs >= 1)) throw new HistoryQueryError("'step' must be at least 1 ms");
    if ((to - from) / stepMs > MAX_POINTS) throw new HistoryQueryError(`more than ${MAX_POINTS} points: use a larger step`);
    const row = this.selectChannel.get(channel);
    if (!row) return [];
    this.flush();
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

  private channelId(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      this.insertChannel.run(name);
      id = this.selectChannel.get(name)!.id;
      this.ids.set(name, id);
    }
    return id;
  }
}
