import { BYTES_PER_PIXEL, fromBase64, fromBinary, fromJson, maxPayloadBytes, type Encoding } from "./frameFormat.js";

/** Beyond this a frame is not worth splitting: 64 parts of 256 bytes hold a 32×24 float32 frame with room to spare. */
export const MAX_PARTS = 64;
const ENVELOPE_BYTES = 256;

export type AssemblyEvent = { frame: Float32Array } | { reject: string };

/**
 * Frames that firmware with a small MQTT buffer sends in parts, in order, one message each:
 *   {"frame": 17, "part": 0, "parts": 6, "data": "<base64 of this part's bytes>"}   (float32le, int16le)
 *   {"frame": 17, "part": 0, "parts": 6, "data": [23.1, 23.4, …]}                    (json)
 * Parts are concatenated in part order. A frame whose parts do not all arrive before the next
 * frame starts is dropped (and counted); a complete frame is checked like a whole one.
 */
export class FrameAssembler {
  private current: { frame: number; parts: number; data: Array<Buffer | unknown[] | undefined>; got: number; size: number } | undefined;
  private readonly maxPartBytes: number;
  /** Bytes (binary encodings) or numbers (json) in a whole frame. */
  private readonly capacity: number;

  constructor(
    private readonly encoding: Encoding,
    private readonly width: number,
    private readonly height: number,
  ) {
    const pixels = width * height;
    this.maxPartBytes = maxPayloadBytes({ encoding, base64: encoding !== "json" }, pixels) + ENVELOPE_BYTES;
    this.capacity = encoding === "json" ? pixels : pixels * BYTES_PER_PIXEL[encoding];
  }

  push(payload: Buffer): AssemblyEvent[] {
    if (payload.length > this.maxPartBytes) return [{ reject: `part of ${payload.length} bytes is larger than a whole ${this.width}×${this.height} frame can be` }];
    const part = parsePart(payload, this.encoding);
    if (typeof part === "string") return [{ reject: part }];
    const out: AssemblyEvent[] = [];
    const cur = this.current;
    if (cur && (cur.frame !== part.frame || cur.parts !== part.parts)) {
      out.push({ reject: `frame ${cur.frame} incomplete: ${cur.got} of ${cur.parts} parts arrived` });
      this.current = undefined;
    }
    const next = (this.current ??= { frame: part.frame, parts: part.parts, data: new Array(part.parts).fill(undefined), got: 0, size: 0 });
    if (next.data[part.part] !== undefined) return [...out, { reject: `frame ${part.frame} part ${part.part} arrived twice` }];
    next.data[part.part] = part.data;
    next.got++;
    next.size += part.data.length;
    if (next.size > this.capacity) {
      this.current = undefined;
      return [...out, { reject: `frame ${part.frame}: its parts hold more than a ${this.width}×${this.height} frame` }];
    }
    if (next.got < next.parts) return out;
    this.current = undefined;
    const frame =
      this.encoding === "json"
        ? fromJson((next.data as unknown[][]).flat(), this.width, this.height)
        : fromBinary(Buffer.concat(next.data as Buffer[]), this.encoding, this.width, this.height);
    return [...out, typeof frame === "string" ? { reject: `frame ${part.frame}: ${frame}` } : { frame }];
  }
}

interface Part {
  frame: number;
  part: number;
  parts: number;
  data: Buffer | unknown[];
}

function parsePart(payload: Buffer, encoding: Encoding): Part | string {
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString("utf8"));
  } catch {
    return "part is not valid JSON";
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) return 'expected a part {"frame", "part", "parts", "data"}';
  const { frame, part, parts, data } = doc as Record<string, unknown>;
  if (!Number.isSafeInteger(frame)) return '"frame" is missing or not an integer';
  if (!Number.isInteger(parts) || (parts as number) < 1 || (parts as number) > MAX_PARTS) return `"parts" must be an integer from 1 to ${MAX_PARTS}`;
  if (!Number.isInteger(part) || (part as number) < 0 || (part as number) >= (parts as number)) return `"part" must be an integer from 0 to parts − 1`;
  const n = { frame: frame as number, part: part as number, parts: parts as number };
  if (encoding === "json") return Array.isArray(data) ? { ...n, data } : '"data" must be an array of numbers';
  const bytes = typeof data === "string" ? fromBase64(data) : undefined;
  return bytes ? { ...n, data: bytes } : '"data" must be base64 text';
}
