import { crc8 } from "./crc8.js";
import { DS1825, W1_THERM_FAMILIES, type W1Family } from "./families.js";

export type W1Result = { ok: true; celsius: number } | { ok: false; reason: string };

const FIRST = /^((?:[0-9a-f]{2} ){9}): crc=([0-9a-f]{2}) (YES|NO)$/;
const SECOND = /^(?:[0-9a-f]{2} ){9}t=(-?\d{1,7})$/;
const POWER_ON_MILLI = 85_000;
const MAX31850_FAULTS = ["open circuit", "short to GND", "short to VDD"];

/**
 * The kernel's w1_slave text: the scratchpad with the kernel's CRC verdict, then the last good
 * scratchpad with t= in millidegrees converted from this read's bytes (garbage after a NO):
 *   72 01 4b 46 7f ff 0e 10 57 : crc=57 YES
 *   72 01 4b 46 7f ff 0e 10 57 t=23125
 * The CRC-8 is checked here as well as by the kernel, so a line that was not what the sensor sent
 * (a corrupted or hand-made file) is refused even when it says YES.
 */
export function parseW1Slave(text: string, family: W1Family): W1Result {
  if (text.trim() === "") return { ok: false, reason: "empty read: the sensor did not answer (wiring, pull-up or power)" };
  const lines = text.trim().split("\n");
  const first = lines.length === 2 ? FIRST.exec(lines[0].trim()) : null;
  const second = lines.length === 2 ? SECOND.exec(lines[1].trim()) : null;
  if (!first || !second) return { ok: false, reason: "not the two lines w1_slave holds" };
  const bytes = first[1].trim().split(" ").map((b) => parseInt(b, 16));
  if (first[3] === "NO") return { ok: false, reason: "the kernel's CRC check failed (crc=… NO): noise on the bus" };
  const crc = crc8(bytes, 8);
  if (crc !== bytes[8] || parseInt(first[2], 16) !== crc) {
    return { ok: false, reason: `CRC-8 mismatch: bytes 0–7 give ${hex(crc)}, byte 8 is ${hex(bytes[8])}, the line says crc=${first[2]}` };
  }
  if (bytes.every((b) => b === 0)) return { ok: false, reason: "all-zero scratchpad (data line shorted to ground, or the sensor lost power)" };
  const milli = Number(second[1]);
  if (milli === POWER_ON_MILLI && bytes[6] === 0x0c) return { ok: false, reason: "85 °C power-on value: the sensor reset (power dip) before converting" };
  // Family 3b: configuration byte 4 has bit 7 set on a MAX31850, clear on a DS1825.
  const max31850 = family === "3b" && (bytes[4] & 0x80) !== 0;
  if (max31850 && bytes[0] & 1) {
    const faults = MAX31850_FAULTS.filter((_, bit) => bytes[2] & (1 << bit));
    return { ok: false, reason: `MAX31850 thermocouple fault: ${faults.join(", ") || "unspecified"}` };
  }
  return inRange(milli, family === "3b" && !max31850 ? DS1825 : W1_THERM_FAMILIES[family]);
}

/**
 * The `temperature` file of newer kernels: millidegrees only, no scratchpad and no CRC verdict
 * (a failed read is empty). Without byte 6, the 85 °C power-on value cannot be told from a real
 * 85.000 °C, so exactly 85000 is refused: one lost sample is cheaper than a false alarm.
 */
export function parseTemperatureFile(text: string, family: W1Family): W1Result {
  const t = text.trim();
  if (t === "") return { ok: false, reason: "empty read: the sensor did not answer (wiring, pull-up or power)" };
  if (!/^-?\d{1,7}$/.test(t)) return { ok: false, reason: "not a temperature in millidegrees" };
  const milli = Number(t);
  if (milli === POWER_ON_MILLI) return { ok: false, reason: "85 °C: the power-on value, most likely (no scratchpad to tell)" };
  return inRange(milli, W1_THERM_FAMILIES[family]);
}

function inRange(milli: number, { model, min, max }: { model: string; min: number; max: number }): W1Result {
  const celsius = milli / 1000;
  if (celsius < min || celsius > max) return { ok: false, reason: `${celsius} °C is outside the ${model}'s range (${min}…${max} °C)` };
  return { ok: true, celsius };
}

const hex = (b: number) => b.toString(16).padStart(2, "0");
