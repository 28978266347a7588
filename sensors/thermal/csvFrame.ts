import { parseStrictNumber } from "../common/numbers.js";
import { PLAUSIBLE_C, type ThermalFrame } from "./frame.js";

/**
 * The common MLX90640 serial form: one line per frame with width×height comma-separated °C
 * values (e.g. 768 for 32×24). Returns a reason instead of a frame for a malformed line.
 */
export function parseCsvFrame(line: string, width: number, height: number, seq: number, ts: number): ThermalFrame | string {
  const cells = line.trim().replace(/,$/, "").split(",");
  if (cells.length !== width * height) return `expected ${width * height} values, got ${cells.length}`;
  const celsius = new Float32Array(cells.length);
  for (let i = 0; i < cells.length; i++) {
    const v = parseStrictNumber(cells[i]);
    if (v === undefined) return `value ${i + 1} "${cells[i].slice(0, 20)}" is not a number`;
    if (v < PLAUSIBLE_C.min || v > PLAUSIBLE_C.max) return `value ${i + 1} (${v} °C) is implausible`;
    celsius[i] = v;
  }
  return { width, height, seq, ts, celsius };
}
