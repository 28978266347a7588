import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BinaryFrameParser, encodeBinaryFrame, MAGIC } from "../../sensors/thermal/binaryFrame.js";
import { parseCsvFrame } from "../../sensors/thermal/csvFrame.js";
import { frameStats, type ThermalFrame } from "../../sensors/thermal/frame.js";

const W = 32;
const H = 24;
/** A known pattern: 20.00 °C plus 0.01 °C per pixel index, so every pixel differs. */
const pattern = (offset = 0) => Float32Array.from({ length: W * H }, (_, i) => 20 + offset + i / 100);

function frames(parser: BinaryFrameParser, bytes: Buffer): ThermalFrame[] {
  return parser.push(bytes).flatMap((e) => ("frame" in e ? [e.frame] : []));
}

describe("binary thermal frames", () => {
  it("decodes a known pattern to exactly the temperatures sent, split at any point", () => {
    const bytes = encodeBinaryFrame(W, H, 7, pattern());
    for (const cut of [1, 3, 4, 13, 14, 100, bytes.length - 1]) {
      const p = new BinaryFrameParser();
      const got = [...frames(p, bytes.subarray(0, cut)), ...frames(p, bytes.subarray(cut))];
      expect(got).toHaveLength(1);
      expect(got[0].seq).toBe(7);
      expect([...got[0].celsius].map((v) => Math.round(v * 100))).toEqual([...pattern()].map((v) => Math.round(v * 100)));
    }
  });

  it("resynchronises after garbage, a truncated frame and a corrupted frame", () => {
    const p = new BinaryFrameParser();
    const good1 = encodeBinaryFrame(W, H, 1, pattern(1));
    const truncated = encodeBinaryFrame(W, H, 2, pattern(2)).subarray(0, 500);
    const corrupted = encodeBinaryFrame(W, H, 3, pattern(3));
    corrupted[200] ^= 0x10;
    const good2 = encodeBinaryFrame(W, H, 4, pattern(4));
    const events = p.push(Buffer.concat([Buffer.from("boot v1.2\r\n\x00\xff"), good1, truncated, corrupted, good2]));
    expect(events.filter((e) => "frame" in e).map((e) => ("frame" in e ? e.frame.seq : -1))).toEqual([1, 4]);
    expect(events.filter((e) => "reject" in e).length).toBeGreaterThanOrEqual(2);
  });

  it("arbitrary bytes and bit flips never throw and never yield a frame that was not sent", () => {
    const sent = new Map<number, Float32Array>();
    for (let s = 0; s < 3; s++) sent.set(s, pattern(s));
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.tuple(fc.uint8Array({ maxLength: 64 }), fc.boolean()), fc.constantFrom(0, 1, 2)), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 4 }), (parts, flips) => {
        // Frames, noise, and noise that contains the magic (a false start).
        const stream = Buffer.concat(parts.map((p) => (typeof p === "number" ? encodeBinaryFrame(W, H, p, sent.get(p)!) : Buffer.concat([Buffer.from(p[0]), p[1] ? MAGIC : Buffer.alloc(0)]))));
        for (const f of flips) if (stream.length) stream[f % stream.length] ^= 1 << (f % 8);
        const p = new BinaryFrameParser();
        for (const frame of frames(p, stream)) {
          const original = sent.get(frame.seq);
          expect(original).toBeDefined();
          expect([...frame.celsius].map((v) => Math.round(v * 100))).toEqual([...original!].map((v) => Math.round(v * 100)));
        }
      }),
      { numRuns: 300 },
    );
  });

  it("refuses absurd headers without waiting for gigabytes", () => {
    const header = Buffer.concat([MAGIC, Buffer.from([1, 1, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])]);
    const events = new BinaryFrameParser().push(header);
    expect(events.some((e) => "reject" in e && e.reject.startsWith("bad frame header"))).toBe(true);
  });
});

describe("CSV thermal frames (768 values per line)", () => {
  it("decodes a known line exactly", () => {
    const line = [...pattern()].map((v) => v.toFixed(2)).join(",");
    const frame = parseCsvFrame(line, W, H, 0, 1);
    expect(typeof frame).not.toBe("string");
    expect(Math.round((frame as ThermalFrame).celsius[767] * 100)).toBe(2767);
  });

  it("rejects short, long, non-numeric and implausible lines", () => {
    const ok = [...pattern()].map((v) => v.toFixed(2));
    expect(parseCsvFrame(ok.slice(1).join(","), W, H, 0, 1)).toMatch(/expected 768 values, got 767/);
    expect(parseCsvFrame([...ok, "1"].join(","), W, H, 0, 1)).toMatch(/got 769/);
    expect(parseCsvFrame(["nan", ...ok.slice(1)].join(","), W, H, 0, 1)).toMatch(/not a number/);
    expect(parseCsvFrame(["-300", ...ok.slice(1)].join(","), W, H, 0, 1)).toMatch(/implausible/);
  });

  it("never throws on arbitrary text", () => {
    fc.assert(fc.property(fc.string({ maxLength: 2000 }), (text) => void parseCsvFrame(text, W, H, 0, 1)));
  });
});

describe("frame statistics", () => {
  it("finds min, max, mean and the hottest pixel, in a region too", () => {
    const celsius = new Float32Array(W * H).fill(20);
    celsius[5 * W + 9] = 90;
    const frame = { width: W, height: H, seq: 0, ts: 0, celsius };
    expect(frameStats(frame)).toMatchObject({ min: 20, max: 90, hotX: 9, hotY: 5 });
    expect(frameStats(frame, { name: "r", x: 0, y: 0, width: 4, height: 4 })).toEqual({ min: 20, max: 20, mean: 20, hotX: 0, hotY: 0 });
  });
});
