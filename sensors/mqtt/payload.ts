import { z } from "zod";
import { parseStrictNumber } from "../common/numbers.js";

export const payloadSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("number") }).strict(),
  z
    .object({
      type: z.literal("json"),
      /** Dot path to the value, e.g. "temperature.value" or "sensors.0.t". */
      value: z.string().min(1),
      /** Dot path to a timestamp: epoch seconds or milliseconds, or an ISO 8601 string. */
      timestamp: z.string().min(1).optional(),
    })
    .strict(),
]);
export type PayloadFormat = z.output<typeof payloadSchema>;

export type PayloadResult = { ok: true; value: number; ts?: number } | { ok: false; reason: string };

function at(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    if (!Object.hasOwn(cur, key)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** Epoch seconds before 1e11 (year 5138), milliseconds above: devices send both. */
export function toEpochMs(raw: unknown): number | undefined {
  if (typeof raw === "number" && Number.isFinite(raw) && raw > 0) return raw < 1e11 ? raw * 1000 : raw;
  if (typeof raw === "string" && /^\d{4}-\d{2}-\d{2}T/.test(raw)) {
    const ms = Date.parse(raw);
    return Number.isFinite(ms) ? ms : undefined;
  }
  return undefined;
}

export function decodePayload(format: PayloadFormat, payload: Buffer): PayloadResult {
  const text = payload.toString("utf8");
  if (format.type === "number") {
    const value = parseStrictNumber(text);
    return value === undefined ? { ok: false, reason: "payload is not a number" } : { ok: true, value };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { ok: false, reason: "payload is not valid JSON" };
  }
  const raw = at(doc, format.value);
  const value = typeof raw === "string" ? parseStrictNumber(raw) : raw;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    return { ok: false, reason: `"${format.value}" is missing or not a number` };
  }
  if (!format.timestamp) return { ok: true, value };
  const ts = toEpochMs(at(doc, format.timestamp));
  if (ts === undefined) return { ok: false, reason: `"${format.timestamp}" is missing or not a timestamp` };
  return { ok: true, value, ts };
}
