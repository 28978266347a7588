import { deflateRawSync, inflateRawSync } from "node:zlib";
import type { Db } from "../storage/db.js";

export interface MinuteDelta {
  min: number;
  max: number;
  sum: number;
  count: number;
}

export interface MinuteEntry extends MinuteDelta {
  channel: number;
  minute: number;
}

export interface ChannelSamples {
  ts: number[];
  values: number[];
}

/**
 * One history block: everything one flush wrote, as a single row appended to `history_blocks`.
 * A row per flush touches the end of one table instead of a page per channel, which is what wears
 * an SD card. It carries the raw samples of every channel and the per-minute aggregate deltas of
 * all readings in the flush (also those not kept raw), so that minutes can be rebuilt exactly
 * after a power cut. Deflated as a whole (per channel, the few samples of one flush hardly
 * compress). Layout before deflate, little-endian: u8 version, u32 channels, (u32 id, u32 count)
 * per channel, then per channel count f64 times and count f64 values, u32 minutes,
 * (u32 channel, f64 minute, f64 min, f64 max, f64 sum, u32 count) per minute.
 */
const VERSION = 1;
const MINUTE_BYTES = 4 + 8 * 4 + 4;

export interface Block {
  samples: Map<number, ChannelSamples>;
  minutes: MinuteEntry[];
}

export function encodeBlock(block: Block): Buffer {
  const channels = [...block.samples];
  const sampleCount = channels.reduce((n, [, s]) => n + s.ts.length, 0);
  const buf = Buffer.alloc(1 + 4 + channels.length * 8 + sampleCount * 16 + 4 + block.minutes.length * MINUTE_BYTES);
  let o = buf.writeUInt8(VERSION, 0);
  o = buf.writeUInt32LE(channels.length, o);
  for (const [id, s] of channels) o = buf.writeUInt32LE(s.ts.length, buf.writeUInt32LE(id, o));
  for (const [, s] of channels) {
    for (const t of s.ts) o = buf.writeDoubleLE(t, o);
    for (const v of s.values) o = buf.writeDoubleLE(v, o);
  }
  o = buf.writeUInt32LE(block.minutes.length, o);
  for (const m of block.minutes) {
    o = buf.writeUInt32LE(m.channel, o);
    for (const x of [m.minute, m.min, m.max, m.sum]) o = buf.writeDoubleLE(x, o);
    o = buf.writeUInt32LE(m.count, o);
  }
  return deflateRawSync(buf);
}

export class BlockReader {
  private readonly buf: Buffer;
  private readonly channels = new Map<number, { count: number; at: number }>();
  private readonly minutesAt: number;

  constructor(data: Buffer) {
    this.buf = inflateRawSync(data);
    if (this.buf.readUInt8(0) !== VERSION) throw new Error(`history block version ${this.buf.readUInt8(0)} is unknown`);
    const n = this.buf.readUInt32LE(1);
    let at = 5 + n * 8;
    for (let i = 0; i < n; i++) {
      const count = this.buf.readUInt32LE(5 + i * 8 + 4);
      this.channels.set(this.buf.readUInt32LE(5 + i * 8), { count, at });
      at += count * 16;
    }
    this.minutesAt = at;
  }

  samples(channel: number): ChannelSamples {
    const c = this.channels.get(channel);
    const out: ChannelSamples = { ts: [], values: [] };
    if (!c) return out;
    for (let i = 0; i < c.count; i++) {
      out.ts.push(this.buf.readDoubleLE(c.at + i * 8));
      out.values.push(this.buf.readDoubleLE(c.at + (c.count + i) * 8));
    }
    return out;
  }

  minutes(): MinuteEntry[] {
    const n = this.buf.readUInt32LE(this.minutesAt);
    const out: MinuteEntry[] = [];
    for (let i = 0, o = this.minutesAt + 4; i < n; i++, o += MINUTE_BYTES) {
      const [minute, min, max, sum] = [0, 1, 2, 3].map((k) => this.buf.readDoubleLE(o + 4 + k * 8));
      out.push({ channel: this.buf.readUInt32LE(o), minute, min, max, sum, count: this.buf.readUInt32LE(o + 36) });
    }
    return out;
  }
}

/**
 * The raw samples of one channel in [from, to), in time order (a clock set back stores later samples
 * at earlier times), from the blocks up to `upToBlock`.
 */
export function readRawSamples(db: Db, channel: number, from: number, to: number, upToBlock = Number.MAX_SAFE_INTEGER): ChannelSamples {
  const rows = db
    .prepare<{ from: number; to: number; upTo: number }, { data: Buffer }>("SELECT data FROM history_blocks WHERE end_ts >= @from AND start_ts < @to AND id <= @upTo ORDER BY id")
    .all({ from, to, upTo: upToBlock });
  const out: ChannelSamples = { ts: [], values: [] };
  for (const { data } of rows) {
    const s = new BlockReader(data).samples(channel);
    for (let i = 0; i < s.ts.length; i++) {
      if (s.ts[i] < from || s.ts[i] >= to) continue;
      out.ts.push(s.ts[i]);
      out.values.push(s.values[i]);
    }
  }
  if (out.ts.every((t, i) => i === 0 || out.ts[i - 1] <= t)) return out;
  const order = out.ts.map((_, i) => i).sort((a, b) => out.ts[a] - out.ts[b]);
  return { ts: order.map((i) => out.ts[i]), values: order.map((i) => out.values[i]) };
}

/**
 * Moves the rows of the old one-row-per-sample table into blocks of up to 5,000 samples each, in
 * the order they were stored. Their readings are in the minutes table already, so the blocks carry
 * no minute deltas.
 */
export function moveSamplesToBlocks(db: Db): void {
  const insert = db.prepare("INSERT INTO history_blocks (start_ts, end_ts, n, data) VALUES (?, ?, ?, ?)");
  const page = db.prepare<[number], { rowid: number; channel: number; ts: number; value: number }>(
    "SELECT rowid, channel, ts, value FROM samples WHERE rowid > ? ORDER BY rowid LIMIT 5000",
  );
  for (let after = 0, rows = page.all(after); rows.length > 0; rows = page.all(after)) {
    const samples = new Map<number, ChannelSamples>();
    let [start, end] = [Infinity, -Infinity];
    for (const { channel, ts, value } of rows) {
      let s = samples.get(channel);
      if (!s) samples.set(channel, (s = { ts: [], values: [] }));
      s.ts.push(ts);
      s.values.push(value);
      [start, end] = [Math.min(start, ts), Math.max(end, ts)];
    }
    insert.run(start, end, rows.length, encodeBlock({ samples, minutes: [] }));
    after = rows.at(-1)!.rowid;
  }
  db.exec("INSERT INTO history_meta (key, value) VALUES ('minutes_through', (SELECT coalesce(max(id), 0) FROM history_blocks))");
}
