import { z } from "zod";
import { PLAUSIBLE_C } from "../thermal/frame.js";

export const frameFormatSchema = z
  .object({
    /** float32le: °C as 32-bit floats; int16le: hundredths of a °C; json: an array of °C (or of rows). */
    encoding: z.enum(["float32le", "int16le", "json"]),
    /** The payload is the base64 text of the encoding's bytes. */
    base64: z.boolean().default(false),
    /** Each message is one part of a frame: {"frame", "part", "parts", "data"} (docs/protocol.md). */
    split: z.boolean().default(false),
  })
  .strict()
  .refine((f) => !(f.split && f.base64), { message: "split frames carry binary parts as base64 text in data already: leave base64 out", path: ["base64"] });
export type FrameFormat = z.output<typeof frameFormatSchema>;
export type Encoding = FrameFormat["encoding"];

export const BYTES_PER_PIXEL = { float32le: 4, int16le: 2 } as const;
/** Generous for a JSON number such as "-23.450000762939453, ". */
const JSON_CHARS_PER_PIXEL = 32;

/** The largest payload a whole frame of this format and size can be; anything larger is refused unread. */
export function maxPayloadBytes(format: Pick<FrameFormat, "encoding" | "base64">, pixels: number): number {
  const raw = format.encoding === "json" ? pixels * JSON_CHARS_PER_PIXEL + 1024 : pixels * BYTES_PER_PIXEL[format.encoding];
  return format.base64 ? Math.ceil(raw / 3) * 4 + 2 : raw;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Strict base64 (Buffer.from skips characters it does not know); undefined when it is not. */
export function fromBase64(text: string): Buffer | undefined {
  const t = text.trim();
  return t.length % 4 === 0 && BASE64.test(t) ? Buffer.from(t, "base64") : undefined;
}

/**
 * One whole frame's payload → °C per pixel, row-major; or the reason it is not a frame (wrong
 * size, not a number, NaN, outside the plausible range).
 */
export function decodeFrame(payload: Buffer, format: FrameFormat, width: number, height: number): Float32Array | string {
  const limit = maxPayloadBytes(format, width * height);
  if (payload.length > limit) return `payload of ${payload.length} bytes is larger than a ${width}×${height} ${formatName(format)} frame can be (${limit})`;
  let bytes: Buffer | undefined = payload;
  if (format.base64) {
    bytes = fromBase64(payload.toString("latin1"));
    if (!bytes) return "payload is not base64";
  }
  if (format.encoding !== "json") return fromBinary(bytes, format.encoding, width, height);
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString("utf8"));
  } catch {
    return "payload is not valid JSON";
  }
  return fromJson(doc, width, height);
}

export function fromBinary(bytes: Buffer, encoding: "float32le" | "int16le", width: number, height: number): Float32Array | string {
  const pixels = width * height;
  const expected = pixels * BYTES_PER_PIXEL[encoding];
  if (bytes.length !== expected) return `expected ${expected} bytes (${width}×${height} ${encoding}), got ${bytes.length}`;
  const celsius = new Float32Array(pixels);
  if (encoding === "float32le") for (let i = 0; i < pixels; i++) celsius[i] = bytes.readFloatLE(i * 4);
  else for (let i = 0; i < pixels; i++) celsius[i] = bytes.readInt16LE(i * 2) / 100;
  return plausible(celsius);
}

/** A flat array of width × height numbers, or height rows of width (as numpy's tolist() gives). */
export function fromJson(doc: unknown, width: number, height: number): Float32Array | string {
  const pixels = width * height;
  const shape = `an array of ${pixels} numbers or of ${height} rows of ${width}`;
  if (!Array.isArray(doc)) return `expected ${shape}, got ${doc === null ? "null" : typeof doc}`;
  const flat: unknown[] = doc.length === height && doc.every((row) => Array.isArray(row) && row.length === width) ? doc.flat() : doc;
  if (flat.length !== pixels) return `expected ${shape}, got ${doc.length} elements`;
  const celsius = new Float32Array(pixels);
  for (let i = 0; i < pixels; i++) {
    const v = flat[i];
    if (typeof v !== "number") return `pixel ${i} is not a number (${JSON.stringify(v)?.slice(0, 20)})`;
    celsius[i] = v;
  }
  return plausible(celsius);
}

function plausible(celsius: Float32Array): Float32Array | string {
  for (let i = 0; i < celsius.length; i++) {
    const v = celsius[i];
    if (Number.isNaN(v)) return `pixel ${i} is NaN`;
    if (!(v >= PLAUSIBLE_C.min && v <= PLAUSIBLE_C.max)) return `pixel ${i} (${v} °C) is outside the plausible ${PLAUSIBLE_C.min}…${PLAUSIBLE_C.max} °C`;
  }
  return celsius;
}

export const formatName = (format: FrameFormat) => `${format.split ? "split " : ""}${format.base64 ? "base64 " : ""}${format.encoding}`;
