import { decodeRegisters } from "./registers.js";
import type { ModbusPoint } from "./schema.js";

export type PointValue = { ok: true; value: number } | { ok: false; reason: string };

/**
 * One point's value out of the reply to the request that covered it (words for registers, bits
 * for coils and discrete inputs, both starting at `start`), scaled and checked.
 */
export function pointValue(point: ModbusPoint, start: number, words: readonly number[], bits: readonly boolean[]): PointValue {
  const at = point.address - start;
  let raw: number;
  if (point.type) {
    const registers = words.slice(at, at + point.count);
    if (registers.length !== point.count) return { ok: false, reason: `${point.label}: the reply has no register for it` };
    raw = decodeRegisters(registers, point.type, point.wordOrder);
  } else {
    if (at >= bits.length) return { ok: false, reason: `${point.label}: the reply has no bit for it` };
    raw = bits[at] ? 1 : 0;
  }
  const value = raw * point.scale + point.offset;
  if (!Number.isFinite(value)) return { ok: false, reason: `${point.label} (${point.channel}): ${raw} is not a number` };
  if ((point.min !== undefined && value < point.min) || (point.max !== undefined && value > point.max)) {
    return { ok: false, reason: `${point.label} (${point.channel}): ${value} outside [${point.min ?? "-∞"}, ${point.max ?? "∞"}]` };
  }
  return { ok: true, value };
}
