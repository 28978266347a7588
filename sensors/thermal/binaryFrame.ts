import { crc32 } from "node:zlib";
import { MAX_PIXELS, PLAUSIBLE_C, type ThermalFrame } from "./frame.js";

/**
 * The binary thermal frame a microcontroller sends over serial (docs/protocol.md):
 *   magic AA 55 57 54 | version u8 = 1 | encoding u8 = 1 (int16 LE, centi-°C) |
 *   width u16 | height u16 | counter u32 | width×height int16 | CRC-32 u32 over version…payload
 * All integers little-endian.
 */
export const MAGIC = Buffer.from([0xaa, 0x55, 0x57, 0x54]);
const HEADER = 14;

export function encodeBinaryFrame(width: number, height: number, counter: number, celsius: ArrayLike<number>): Buffer {
  const buf = Buffer.alloc(HEADER + width * height * 2 + 4);
  MAGIC.copy(buf, 0);
  buf.writeUInt8(1, 4);
  buf.writeUInt8(1, 5);
  buf.writeUInt16LE(width, 6);
  buf.writeUInt16LE(height, 8);
  buf.writeUInt32LE(counter >>> 0, 10);
  for (let i = 0; i < width * height; i++) buf.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(celsius[i] * 100))), HEADER + i * 2);
  buf.writeUInt32LE(crc32(buf.subarray(4, HEADER + width * height * 2)), HEADER + width * height * 2);
  return buf;
}

export type BinaryEvent = { frame: ThermalFrame } | { reject: string };

/**
 * Streaming parser: finds frames by their magic, checks header sanity and CRC, and after any
 * corruption or truncation resynchronises on the next magic. Never holds more than one frame.
 */
export class BinaryFrameParser {
  private buf: Buffer = Buffer.alloc(0);
  private garbage = 0;

  constructor(
    private readonly maxPixels = MAX_PIXELS,
    private readonly now: () => number = Date.now,
  ) {}

  push(chunk: Buffer): BinaryEvent[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: BinaryEvent[] = [];
    for (;;) {
      const at = this.buf.indexOf(MAGIC);
      if (at < 0) {
        const keep = Math.min(this.buf.length, MAGIC.length - 1);
        this.skip(this.buf.length - keep, out);
        this.buf = Buffer.from(this.buf.subarray(this.buf.length - keep));
        return out;
      }
      if (at > 0) this.skip(at, out);
      this.buf = this.buf.subarray(at);
      this.flushGarbage(out);
      if (this.buf.length < HEADER) return out;
      const version = this.buf.readUInt8(4);
      const encoding = this.buf.readUInt8(5);
      const width = this.buf.readUInt16LE(6);
      const height = this.buf.readUInt16LE(8);
      if (version !== 1 || encoding !== 1 || width === 0 || height === 0 || width * height > this.maxPixels) {
        out.push({ reject: `bad frame header (version ${version}, encoding ${encoding}, ${width}×${height})` });
        this.buf = this.buf.subarray(1);
        continue;
      }
      const total = HEADER + width * height * 2 + 4;
      if (this.buf.length < total) {
        this.buf = Buffer.from(this.buf);
        return out;
      }
      const expected = this.buf.readUInt32LE(total - 4);
      if (crc32(this.buf.subarray(4, total - 4)) !== expected) {
        out.push({ reject: "frame CRC mismatch (corrupted or truncated frame)" });
        this.buf = this.buf.subarray(1);
        continue;
      }
      const celsius = new Float32Array(width * height);
      let plausible = true;
      for (let i = 0; i < celsius.length; i++) {
        const v = this.buf.readInt16LE(HEADER + i * 2) / 100;
        if (v < PLAUSIBLE_C.min || v > PLAUSIBLE_C.max) plausible = false;
        celsius[i] = v;
      }
      const seq = this.buf.readUInt32LE(10);
      this.buf = this.buf.subarray(total);
      if (!plausible) out.push({ reject: "frame with implausible temperatures" });
      else out.push({ frame: { width, height, seq, ts: this.now(), celsius } });
    }
  }

  reset(): void {
    this.buf = Buffer.alloc(0);
    this.garbage = 0;
  }

  private skip(n: number, out: BinaryEvent[]): void {
    this.garbage += n;
    if (this.garbage > 4096) this.flushGarbage(out);
  }

  private flushGarbage(out: BinaryEvent[]): void {
    if (this.garbage > 0) out.push({ reject: `${this.garbage} byte(s) of noise between frames` });
    this.garbage = 0;
  }
}
