import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeFrame, maxPayloadBytes, type FrameFormat } from "../../sensors/thermal-mqtt/frameFormat.js";
import { FrameAssembler, type AssemblyEvent } from "../../sensors/thermal-mqtt/frameParts.js";
import { thermalMqttSchema } from "../../sensors/thermal-mqtt/schema.js";

const W = 32;
const H = 24;
const N = W * H;
/** 20.00 °C plus 0.01 °C per pixel index: every pixel differs, each exact in hundredths. */
const pattern = () => Array.from({ length: N }, (_, i) => 20 + i / 100);

function float32le(values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeFloatLE(v, i * 4));
  return b;
}
function int16le(values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => b.writeInt16LE(Math.round(v * 100), i * 2));
  return b;
}
const f = (encoding: FrameFormat["encoding"], base64 = false): FrameFormat => ({ encoding, base64, split: false });
const hundredths = (v: Float32Array | string) => (typeof v === "string" ? v : [...v].map((x) => Math.round(x * 100)));
const expected = pattern().map((x) => Math.round(x * 100));

describe("thermal frames over MQTT", () => {
  it("decodes each encoding, plain and base64, to exactly the temperatures sent", () => {
    const json = JSON.stringify(pattern());
    const rows = JSON.stringify(Array.from({ length: H }, (_, y) => pattern().slice(y * W, (y + 1) * W)));
    const cases: Array<[FrameFormat, Buffer]> = [
      [f("float32le"), float32le(pattern())],
      [f("int16le"), int16le(pattern())],
      [f("json"), Buffer.from(json)],
      [f("json"), Buffer.from(rows)],
      [f("float32le", true), Buffer.from(float32le(pattern()).toString("base64"))],
      [f("int16le", true), Buffer.from(int16le(pattern()).toString("base64") + "\n")],
      [f("json", true), Buffer.from(Buffer.from(json).toString("base64"))],
    ];
    for (const [format, payload] of cases) expect(hundredths(decodeFrame(payload, format, W, H))).toEqual(expected);
  });

  it("decodes a frame that does not start on a 4-byte boundary (a slice of mqtt.js's packet buffer)", () => {
    const payload = Buffer.concat([Buffer.alloc(3), float32le(pattern())]).subarray(3);
    expect(hundredths(decodeFrame(payload, f("float32le"), W, H))).toEqual(expected);
  });

  it.each<[string, FrameFormat, Buffer, RegExp]>([
    ["a short frame", f("float32le"), float32le(pattern()).subarray(0, 3000), /^expected 3072 bytes \(32×24 float32le\), got 3000$/],
    ["an int16 frame sent as float32", f("float32le"), int16le(pattern()), /expected 3072 bytes .* got 1536/],
    ["a larger frame", f("int16le"), int16le([...pattern(), 1]), /larger than a 32×24 int16le frame can be \(1536\)/],
    ["NaN", f("float32le"), float32le(pattern().map((v, i) => (i === 100 ? NaN : v))), /^pixel 100 is NaN$/],
    ["a pixel at 2500 °C", f("float32le"), float32le(pattern().map((v, i) => (i === 5 ? 2500 : v))), /pixel 5 \(2500 °C\) is outside the plausible -80…2000 °C/],
    ["infinity", f("float32le"), float32le(pattern().map((v, i) => (i === 7 ? -Infinity : v))), /pixel 7 \(-Infinity °C\)/],
    ["a JSON array of 767", f("json"), Buffer.from(JSON.stringify(pattern().slice(1))), /expected an array of 768 numbers or of 24 rows of 32, got 767 elements/],
    ["JSON null for a pixel (NaN through JSON.stringify)", f("json"), Buffer.from(JSON.stringify(pattern().map((v, i) => (i === 3 ? NaN : v)))), /pixel 3 is not a number \(null\)/],
    ["a JSON object", f("json"), Buffer.from('{"frame": []}'), /got object/],
    ["not JSON", f("json"), Buffer.from("[1, 2,"), /not valid JSON/],
    ["not base64", f("float32le", true), Buffer.from("@@@@" + "A".repeat(4092)), /not base64/],
    ["a JSON payload far too large to parse", f("json"), Buffer.alloc(N * 32 + 1025, 0x20), /larger than a 32×24 json frame can be/],
  ])("rejects %s with the reason", (_, format, payload, reason) => {
    expect(decodeFrame(payload, format, W, H)).toMatch(reason);
  });

  it("never throws on arbitrary payloads; what it accepts is a full frame of plausible temperatures", () => {
    const formats = [f("float32le"), f("int16le"), f("json"), f("float32le", true), f("json", true)];
    fc.assert(
      fc.property(fc.constantFrom(...formats), fc.oneof(fc.uint8Array({ maxLength: 4000 }), fc.uint8Array({ minLength: 1536, maxLength: 1536 }), fc.json().map((j) => new TextEncoder().encode(j))), (format, bytes) => {
        const out = decodeFrame(Buffer.from(bytes), format, W, H);
        if (typeof out !== "string") {
          expect(out).toHaveLength(N);
          for (const v of out) expect(v >= -80 && v <= 2000).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("bounds payloads by what the format can hold", () => {
    expect(maxPayloadBytes(f("float32le"), N)).toBe(3072);
    expect(maxPayloadBytes(f("float32le", true), N)).toBe(4098);
    expect(maxPayloadBytes(f("json"), N)).toBe(N * 32 + 1024);
  });

  it("takes one topic per camera", () => {
    const base = { id: "cam", type: "thermal-mqtt", url: "mqtt://127.0.0.1:1883", format: { encoding: "json" } };
    expect(thermalMqttSchema.parse({ ...base, topic: "plant/cam" })).toMatchObject({ width: 32, height: 24, qos: 0 });
    expect(() => thermalMqttSchema.parse({ ...base, topic: "plant/+/cam" })).toThrow(/without wildcards/);
    expect(() => thermalMqttSchema.parse({ ...base, topic: "plant/cam", format: { encoding: "int16le", split: true, base64: true } })).toThrow(/leave base64 out/);
    expect(() => thermalMqttSchema.parse({ ...base, topic: "plant/cam", rois: [{ name: "a", x: 30, y: 0, width: 4, height: 4 }] })).toThrow(/does not fit/);
  });
});

/** A frame's bytes (or numbers) cut into `parts` messages as small-buffer firmware sends them. */
function split(frame: number, data: Buffer | number[], parts: number): Buffer[] {
  const step = Math.ceil(data.length / parts);
  return Array.from({ length: parts }, (_, part) => {
    const chunk = data.slice(part * step, (part + 1) * step);
    return Buffer.from(JSON.stringify({ frame, part, parts, data: Buffer.isBuffer(chunk) ? chunk.toString("base64") : chunk }));
  });
}
const run = (a: FrameAssembler, messages: Buffer[]) => messages.flatMap((m) => a.push(m));
const shape = (events: AssemblyEvent[]) => events.map((e) => ("frame" in e ? hundredths(e.frame) : e.reject));

describe("thermal frames over MQTT in parts", () => {
  it("reassembles float32le parts (each under 256 bytes), int16le parts in any order, and JSON parts", () => {
    const parts = split(1, float32le(pattern()), 24);
    expect(Math.max(...parts.map((p) => p.length))).toBeLessThan(256);
    expect(shape(run(new FrameAssembler("float32le", W, H), parts))).toEqual([expected]);
    expect(shape(run(new FrameAssembler("int16le", W, H), split(2, int16le(pattern()), 4).reverse()))).toEqual([expected]);
    expect(shape(run(new FrameAssembler("json", W, H), split(3, pattern(), 6)))).toEqual([expected]);
  });

  it("drops a frame with a lost part and keeps the next, and refuses duplicate, oversized and malformed parts", () => {
    const a = new FrameAssembler("float32le", W, H);
    const lossy = split(7, float32le(pattern()), 4);
    lossy.splice(2, 1);
    expect(shape(run(a, [...lossy, ...split(8, float32le(pattern()), 4)]))).toEqual(["frame 7 incomplete: 3 of 4 parts arrived", expected]);
    const twice = split(9, float32le(pattern()), 4);
    expect(shape(run(a, [twice[0], twice[0]]))).toEqual(["frame 9 part 0 arrived twice"]);
    // Malformed parts are refused alone; frame 9 waits for its other parts until frame 11 starts.
    expect(shape(run(a, [Buffer.from('{"frame": 10, "part": 4, "parts": 4, "data": ""}')]))).toEqual(['"part" must be an integer from 0 to parts − 1']);
    expect(shape(run(a, [Buffer.from('{"frame": 10, "part": 0, "parts": 65, "data": ""}')]))).toEqual(['"parts" must be an integer from 1 to 64']);
    expect(shape(run(a, [Buffer.from('{"frame": 10, "part": 0, "parts": 2, "data": [1, 2]}')]))).toEqual(['"data" must be base64 text']);
    expect(shape(run(a, [Buffer.from("[1, 2, 3]")]))).toEqual(['expected a part {"frame", "part", "parts", "data"}']);
    expect(shape(run(a, split(11, float32le([...pattern(), ...pattern()]), 2)))).toEqual(["frame 9 incomplete: 1 of 4 parts arrived", "frame 11: its parts hold more than a 32×24 frame"]);
    expect(shape(run(a, split(12, float32le(pattern()).subarray(0, 3000), 3)))).toEqual(["frame 12: expected 3072 bytes (32×24 float32le), got 3000"]);
    expect(shape(run(a, split(13, float32le(pattern().map((v, i) => (i === 2 ? NaN : v))), 3)))).toEqual(["frame 13: pixel 2 is NaN"]);
  });

  it("never throws on arbitrary parts; what it accepts is a full frame of plausible temperatures", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.json(), fc.record({ frame: fc.nat(3), part: fc.nat(4), parts: fc.nat(5), data: fc.oneof(fc.base64String({ maxLength: 1000 }), fc.array(fc.double(), { maxLength: 400 })) }).map((o) => JSON.stringify(o))), { maxLength: 12 }), (messages) => {
        const a = new FrameAssembler("int16le", W, H);
        for (const e of run(a, messages.map((m) => Buffer.from(m)))) if ("frame" in e) expect(e.frame).toHaveLength(N);
      }),
      { numRuns: 300 },
    );
  });
});
