import type { ClockJump } from "../../common/clock.js";
import type { Logger } from "../../common/logger.js";
import type { HubEvent } from "../hub/hub.js";
import type { Db } from "../storage/db.js";
import { BlockReader, encodeBlock, type ChannelSamples, type MinuteDelta, type MinuteEntry } from "./blocks.js";
import { isStorageError, type StorageHealth } from "../storage/health.js";
import type { HistoryConfig } from "./schema.js";
import { addInto, Buckets, readStoredSeries, type SeriesPoint, type StoredSeriesJob } from "./series.js";

/** Reads the stored part of a series: here, or on a worker thread (`seriesReader`). */
export type ReadStoredSeries = (job: StoredSeriesJob) => Promise<Float64Array>;

interface NamedMinute extends MinuteDelta {
  channel: string;
  minute: number;
}

/**
 * The longest range answered from raw samples: reading one channel inflates the blocks of all of
 * them (10–20 ms per hour of the demo machine's history here), which must not stall the event loop long.
 */
const RAW_QUERY_MAX_SPAN_MS = 6 * 3_600_000;

/** Per-minute aggregates go to their table once an hour; until then the blocks hold them. */
const MINUTES_EVERY_MS = 3_600_000;

export class HistoryQueryError extends Error {}

/** The most points one query may return; a wider range needs a larger step. */
export const MAX_POINTS = 20_000;

/**
 * Readings history in SQLite: raw samples (decimated to `rawInterval`) for `rawRetention`, and
 * per-minute min/max/mean for `aggregateRetention`.
 *
 * Written for an SD card: every `flushInterval` one block row is appended (blocks.ts) with the raw
 * samples of all channels and the minute-aggregate deltas of all readings; the per-minute table
 * is updated once an hour, and rebuilt exactly from the blocks after a power cut. A cut loses at
 * most the readings of the last flush interval.
 *
 * Samples keep the wall time they were stamped with, also when that clock was wrong; the clock's
 * jumps are recorded beside them (`clockJumps`), so that a reader knows where times before a jump
 * may be off by its size. Retention goes by the clock as it reads now.
 */
export class HistoryStore {
  /** Buffered by channel name: a channel first seen while the disk is full has no id yet. */
  private raw: Array<[string, number, number]> = [];
  /** Minute deltas of the readings since the last block, and since the last write of the minutes table. */
  private blockMinutes = new Map<string, NamedMinute>();
  private pendingMinutes = new Map<string, NamedMinute>();
  private jumps: ClockJump[] = [];
  private minutesDueAt = performance.now() + MINUTES_EVERY_MS;
  /** Writes of the minutes table so far: a query that read it across one reads it again. */
  private minutesWrites = 0;
  private lastStored = new Map<string, number>();
  private readonly ids = new Map<string, number>();
  private flushTimer: NodeJS.Timeout | undefined;
  private retentionTimer: NodeJS.Timeout | undefined;
  dropped = 0;

  private readonly insertBlock;
  private readonly upsertMinute;
  private readonly lastBlock;
  private readonly setMinutesThrough;
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
    private readonly readStored: ReadStoredSeries = async (job) => readStoredSeries(db, job),
  ) {
    this.insertBlock = db.prepare("INSERT INTO history_blocks (start_ts, end_ts, n, data) VALUES (?, ?, ?, ?)");
    this.upsertMinute = db.prepare(
      `INSERT INTO minutes (channel, minute, min, max, sum, count) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (channel, minute) DO UPDATE SET min = min(min, excluded.min), max = max(max, excluded.max),
         sum = sum + excluded.sum, count = count + excluded.count`,
    );
    this.lastBlock = db.prepare<[], { id: number }>("SELECT coalesce(max(id), 0) AS id FROM history_blocks");
    this.setMinutesThrough = db.prepare(
      `INSERT INTO history_meta (key, value) VALUES ('minutes_through', (SELECT coalesce(max(id), 0) FROM history_blocks))
       ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    );
    this.insertChannel = db.prepare("INSERT OR IGNORE INTO channels (name) VALUES (?)");
    this.selectChannel = db.prepare<[string], { id: number }>("SELECT id FROM channels WHERE name = ?");
    this.insertJump = db.prepare("INSERT INTO clock_jumps (at, delta_ms) VALUES (?, ?)");
    // A jump concerns a range when the clock read a time in it just before or just after the jump.
    this.selectJumps = db.prepare<{ from: number; to: number }, ClockJump>(
      `SELECT at, delta_ms AS deltaMs FROM clock_jumps
       WHERE (at >= @from AND at < @to) OR (at - delta_ms >= @from AND at - delta_ms < @to) ORDER BY rowid`,
    );
    this.recoverMinutes();
  }

  /** The minute deltas of blocks written since the minutes table was last updated (a power cut came between). */
  private recoverMinutes(): void {
    const names = new Map<number, string>();
    for (const { id, name } of this.db.prepare<[], { id: number; name: string }>("SELECT id, name FROM channels").all()) {
      this.ids.set(name, id);
      names.set(id, name);
    }
    const rows = this.db.prepare<[], { data: Buffer }>(
      "SELECT data FROM history_blocks WHERE id > (SELECT coalesce(max(value), 0) FROM history_meta WHERE key = 'minutes_through') ORDER BY id",
    );
    for (const { data } of rows.iterate()) {
      for (const m of new BlockReader(data).minutes()) {
        const channel = names.get(m.channel);
        if (channel !== undefined) merge(this.pendingMinutes, { ...m, channel });
      }
    }
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

  /** Writes what is buffered, the minutes table too; called on shutdown. */
  stop(): void {
    clearInterval(this.flushTimer);
    clearInterval(this.retentionTimer);
    this.flush({ minutes: true });
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
    const delta = { channel: e.channel, minute: Math.floor(e.ts / 60_000), min: e.value, max: e.value, sum: e.value, count: 1 };
    const key = `${delta.minute}:${delta.channel}`;
    merge(this.blockMinutes, delta, key);
    merge(this.pendingMinutes, delta, key);
  }

  /**
   * Appends what is buffered as one block, in one transaction with the clock jumps and, once an
   * hour or when asked (backtests read the table), the minutes table. On failure nothing is
   * dropped: it is all tried again with the next flush.
   */
  flush({ minutes = false } = {}): void {
    const withMinutes = (minutes || performance.now() >= this.minutesDueAt) && this.pendingMinutes.size > 0;
    const block = this.raw.length > 0 || this.blockMinutes.size > 0;
    if (!block && !withMinutes && this.jumps.length === 0) return;
    // Ids of channels inserted in this transaction are kept only once it commits.
    const newIds = new Map<string, number>();
    const id = (name: string) => this.ids.get(name) ?? newIds.get(name) ?? this.insertChannelId(name, newIds);
    try {
      this.db.transaction(() => {
        if (block) this.appendBlock(id);
        for (const j of this.jumps) this.insertJump.run(j.at, j.deltaMs);
        if (withMinutes) {
          for (const m of this.pendingMinutes.values()) this.upsertMinute.run(id(m.channel), m.minute, m.min, m.max, m.sum, m.count);
          this.setMinutesThrough.run();
        }
      })();
    } catch (err) {
      this.health.failed("history", err);
      return;
    }
    for (const [name, n] of newIds) this.ids.set(name, n);
    this.raw = [];
    this.blockMinutes = new Map();
    this.jumps = [];
    if (withMinutes) {
      this.pendingMinutes = new Map();
      this.minutesDueAt = performance.now() + MINUTES_EVERY_MS;
      this.minutesWrites++;
    }
    this.health.ok("history");
  }

  private appendBlock(id: (name: string) => number): void {
    const samples = new Map<number, ChannelSamples>();
    let [start, end] = [Infinity, -Infinity];
    for (const [name, ts, value] of this.raw) {
      const c = id(name);
      let s = samples.get(c);
      if (!s) samples.set(c, (s = { ts: [], values: [] }));
      s.ts.push(ts);
      s.values.push(value);
      [start, end] = [Math.min(start, ts), Math.max(end, ts)];
    }
    const minutes: MinuteEntry[] = [];
    for (const m of this.blockMinutes.values()) {
      minutes.push({ ...m, channel: id(m.channel) });
      [start, end] = [Math.min(start, m.minute * 60_000), Math.max(end, m.minute * 60_000 + 59_999)];
    }
    this.insertBlock.run(Math.floor(start), Math.ceil(end), this.raw.length, encodeBlock({ samples, minutes }));
  }

  /** Deletes what is past retention; with no room to do so now, it waits for the next round. */
  applyRetention(): void {
    const t = this.now();
    try {
      this.db.transaction(() => {
        // A block whose minute deltas are not in the minutes table yet is kept until they are.
        this.db
          .prepare("DELETE FROM history_blocks WHERE end_ts < ? AND id <= (SELECT coalesce(max(value), 0) FROM history_meta WHERE key = 'minutes_through')")
          .run(t - this.config.rawRetention);
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
   * under a minute and the range is within raw retention and RAW_QUERY_MAX_SPAN_MS, per-minute
   * aggregates otherwise; what is not written yet is included. The stored part is read by
   * `readStored` (on a worker thread in the gateway: 90 days of minutes are 130,000 rows).
   */
  async query(channel: string, from: number, to: number, stepMs: number): Promise<SeriesPoint[]> {
    if (!(to > from)) throw new HistoryQueryError("'to' must be after 'from'");
    if (!(stepMs >= 1)) throw new HistoryQueryError("'step' must be at least 1 ms");
    if ((to - from) / stepMs > MAX_POINTS) throw new HistoryQueryError(`more than ${MAX_POINTS} points: use a larger step`);
    const step = Math.round(stepMs);
    const id = this.ids.get(channel);
    if (stepMs < 60_000 && from >= this.now() - this.config.rawRetention && to - from <= RAW_QUERY_MAX_SPAN_MS) {
      // What is buffered now, and the blocks written by now: a flush meanwhile moves the one into the other.
      const buffered = this.raw.filter(([name, ts]) => name === channel && ts >= from && ts < to);
      const upToBlock = this.lastBlock.get()!.id;
      const buckets = new Buckets(step);
      if (id !== undefined) buckets.addPacked(await this.readStored({ kind: "raw", channel: id, from, to, step, upToBlock }));
      for (const [, ts, v] of buffered) buckets.add(ts, { min: v, max: v, sum: v, count: 1 });
      return buckets.points();
    }
    const [fromMin, toMin] = [Math.floor(from / 60_000), Math.ceil(to / 60_000)];
    // The minutes table takes in the pending minutes once an hour: a read across that is done again.
    for (;;) {
      const writes = this.minutesWrites;
      const pending = [...this.pendingMinutes.values()].filter((m) => m.channel === channel && m.minute >= fromMin && m.minute < toMin);
      const buckets = new Buckets(step);
      if (id !== undefined) buckets.addPacked(await this.readStored({ kind: "minutes", channel: id, fromMin, toMin, step }));
      if (writes !== this.minutesWrites) continue;
      for (const m of pending) buckets.add(m.minute * 60_000, m);
      return buckets.points();
    }
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

function merge(into: Map<string, NamedMinute>, m: NamedMinute, key = `${m.minute}:${m.channel}`): void {
  const cur = into.get(key);
  if (cur) addInto(cur, m);
  else into.set(key, { ...m });
}
