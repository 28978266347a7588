import { z } from "zod";
import { PLAUSIBLE_C } from "../thermal/frame.js";

export const frameFormatSchema = z
  .object({
    /** float32le: °C as 32-bit floats; int16le: hundredths of a °C; json: an array of °C (or of rows). */
    encoding: z.enum(["float32le", "int16le", "json"]),
    /** The payload is the base64 text of the encoding's bytes. */
    base64: z.boolean().default(false),
  })
  .strict();
export type FrameFormat = z.output<typeof frameFormatSchema>;

const BYTES_PER_PIXEL = { float32le: 4, int16le: 2 } as const;
/** Generous for a JSON number such as "-23.450000762939453, ". */
const JSON_CHARS_PER_PIXEL = 32;

/** The largest payload a frame of this format and size can be; anything larger is refused unread. */
export function maxPayloadBytes(format: FrameFormat, pixels: number): number {
  const raw = format.encoding === "json" ? pixels * JSON_CHARS_PER_PIXEL + 1024 : pixels * BYTES_PER_PIXEL[format.encoding];
  return format.base64 ? Math.ceil(raw / 3) * 4 + 2 : raw;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * One frame's payload → °C per pixel, row-major; or the reason it is not a frame (wrong size,
 * not a number, NaN, outside the plausible range).
 */
export function decodeFrame(payload: Buffer, format: FrameFormat, width: number, height: number): Float32Array | string {
  const pixels = width * height;
  const limit = maxPayloadBytes(format, pixels);
  if (payload.length > limit) return `payload of ${payload.length} bytes is larger than a ${width}×${height} ${formatName(format)} frame can be (${limit})`;
  let bytes = payload;
  if (format.base64) {
    const text = payload.toString("latin1").trim();
    if (text.length % 4 !== 0 || !BASE64.test(text)) return "payload is not base64";
    bytes = Buffer.from(text, "base64");
  }
  const celsius = format.encoding === "json" ? fromJson(bytes, width, height) : fromBinary(bytes, format.encoding, width, height);
  if (typeof celsius === "string") return celsius;
  for (let i = 0; i < pixels; i++) {
    const v = celsius[i];
    if (Number.isNaN(v)) return `pixel ${i} is NaN`;
    if (!(v >= PLAUSIBLE_C.min && v <= PLAUSIBLE_C.max)) return `pixel ${i} (${v} °C) is outside the plausible ${PLAUSIBLE_C.min}…${PLAUSIBLE_C.max} °C`;
  }
  return celsius;
}

function fromBinary(bytes: Buffer, encoding: "float32le" | "int16le", width: number, height: number): Float32Array | string {
  const pixels = width * height;
  const expected = pixels * BYTES_PER_PIXEL[encoding];
  if (bytes.length !== expected) return `expected ${expected} bytes (${width}×${height} ${encoding}), got ${bytes.length}`;
  const celsius = new Float32Array(pixels);
  if (encoding === "float32le") for (let i = 0; i < pixels; i++) celsius[i] = bytes.readFloatLE(i * 4);
  else for (let i = 0; i < pixels; i++) celsius[i] = bytes.readInt16LE(i * 2) / 100;
  return celsius;
}

/** A flat array of width × height numbers, or height rows of width (as numpy's tolist() gives). */
function fromJson(bytes: Buffer, width: number, height: number): Float32Array | string {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString("utf8"));
  } catch {
    return "payload is not valid JSON";
  }
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
  return celsius;
}

export const formatName = (format: FrameFormat) => `${format.base64 ? "base64 " : ""}${format.encoding}`;
