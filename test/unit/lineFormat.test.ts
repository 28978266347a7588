import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FieldSpec } from "../../sensors/common/schemas.js";
import { LineIngest } from "../../sensors/serial/lineIngest.js";
import type { LineFormat } from "../../sensors/serial/lineFormat.js";
import type { ChannelInfo, Reading, SourceSink, SourceStatus } from "../../sensors/types.js";

const field = (channel: string, extra: Partial<FieldSpec> = {}): FieldSpec => ({ channel, unit: "°C", scale: 1, offset: 0, ...extra });

function collect(format: LineFormat, fields: Record<string, FieldSpec>) {
  const readings: Reading[] = [];
  const rejects: string[] = [];
  const sink: SourceSink = {
    channel: (_: ChannelInfo) => {},
    reading: (r) => readings.push(r),
    camera: () => {},
    frame: () => {},
    microphone: () => {},
    rtp: () => {},
    spectrum: () => {},
    status: (_: SourceStatus) => {},
    offline: () => {},
    reject: (reason) => rejects.push(reason),
  };
  const ingest = new LineIngest(format, fields, sink, 8192, () => 1_700_000_000_000);
  return { readings, rejects, push: (text: string | Buffer) => ingest.push(Buffer.isBuffer(text) ? text : Buffer.from(text)) };
}

describe("line formats", () => {
  it("json: maps fields, applies scale and offset", () => {
    const c = collect({ type: "json" }, { t1: field("a"), raw: field("b", { scale: 0.1, offset: -40 }) });
    c.push('{"t1": 21.5, "raw": 650, "other": "x"}\n');
    expect(c.readings).toEqual([
      { channel: "a", value: 21.5, ts: 1_700_000_000_000 },
      { channel: "b", value: 25, ts: 1_700_000_000_000 },
    ]);
  });

  it("kv: accepts = and : separators, rejects a line with one bad value entirely", () => {
    const c = collect({ type: "kv" }, { a: field("a"), b: field("b") });
    c.push("a=1.5 b:2\na=3 b=oops\n");
    expect(c.readings.map((r) => r.value)).toEqual([1.5, 2]);
    expect(c.rejects).toEqual(['field "b" value "oops" is not a number']);
  });

  it("csv: learns the header, follows a new header after a board reset, checks cell count", () => {
    const c = collect({ type: "csv", delimiter: "," }, { x: field("cx"), y: field("cy") });
    c.push("1,2\nx,y\n1,2\n1,2,3\ny,x\n5,6\n");
    expect(c.rejects).toEqual(["data line before the CSV header", "expected 2 cells, got 3"]);
    expect(c.readings.map((r) => [r.channel, r.value])).toEqual([
      ["cx", 1],
      ["cy", 2],
      ["cy", 5],
      ["cx", 6],
    ]);
  });

  it("rejects implausible values such as a disconnected DS18B20's -127", () => {
    const c = collect({ type: "kv" }, { t: field("t", { min: -55, max: 125 }) });
    c.push("t=-127\nt=20\n");
    expect(c.readings.map((r) => r.value)).toEqual([20]);
    expect(c.rejects[0]).toMatch(/outside/);
  });

  it("arbitrary bytes never throw, and every reading is finite and mapped", () => {
    for (const format of [{ type: "json" }, { type: "kv" }, { type: "csv", delimiter: "," }] as LineFormat[]) {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
          const c = collect(format, { a: field("ch.a"), b: field("ch.b") });
          c.push(Buffer.from(bytes));
          c.push("\n");
          for (const r of c.readings) {
            expect(Number.isFinite(r.value)).toBe(true);
            expect(["ch.a", "ch.b"]).toContain(r.channel);
          }
        }),
      );
    }
  });

  it("a line corrupted anywhere in its number never yields a reading for it", () => {
    fc.assert(
      fc.property(fc.double({ min: -100, max: 100, noNaN: true }), fc.nat(), fc.constantFrom("#", "x", "\u0000", "..", "e", "--"), (value, pos, junk) => {
        const text = value.toFixed(2);
        const at = pos % (text.length + 1);
        const corrupted = `${text.slice(0, at)}${junk}${text.slice(at)}`;
        const c = collect({ type: "kv" }, { t: field("t") });
        c.push(`t=${corrupted}\n`);
        for (const r of c.readings) expect(r.value).toBe(Number(corrupted) + 0);
      }),
    );
  });
});
