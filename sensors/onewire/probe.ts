import type { Finding } from "../../common/findings.js";
import { DEFAULT_W1_BASE, noBusReason, readSensor, scanBus } from "./bus.js";
import { familyOf, W1_THERM_FAMILIES } from "./families.js";
import { parseTemperatureFile, parseW1Slave } from "./w1Reading.js";
import { systemClock } from "../../common/clock.js";

/** Each read may convert (≈750 ms): doctor reads sensors one by one until this much time is spent. */
const READ_BUDGET_MS = 4000;

/** The 1-Wire temperature sensors on this machine with a current reading, or how to enable the bus. */
export async function oneWireDevices(base = DEFAULT_W1_BASE): Promise<Finding[]> {
  let sensors: string[];
  try {
    sensors = (await scanBus(base)).sensors;
  } catch (err) {
    return [{ section: "1-Wire", mark: "info", text: noBusReason(base, err as NodeJS.ErrnoException) }];
  }
  if (sensors.length === 0) return [{ section: "1-Wire", mark: "info", text: `bus at ${base}, but no temperature sensors on it (check the wiring and the 4.7 kΩ pull-up)` }];
  const deadline = systemClock.mono() + READ_BUDGET_MS;
  const f: Finding[] = [];
  for (const id of sensors) {
    const family = familyOf(id)!;
    const label = `${id} (${W1_THERM_FAMILIES[family].model}, channel w1.${id})`;
    if (systemClock.mono() > deadline) {
      f.push({ section: "1-Wire", mark: "ok", text: `${label}: not read (doctor reads for at most ${READ_BUDGET_MS / 1000} s)` });
      continue;
    }
    const read = await readSensor(base, id).catch((err: Error) => ({ error: err.message }));
    if ("missing" in read) continue;
    const result = "error" in read ? { ok: false as const, reason: read.error } : read.file === "w1_slave" ? parseW1Slave(read.text, family) : parseTemperatureFile(read.text, family);
    f.push(
      result.ok
        ? { section: "1-Wire", mark: "ok", text: `${label}: ${result.celsius} °C` }
        : { section: "1-Wire", mark: "warn", text: `${label}: ${result.reason}`, fix: "check the sensor's wiring, its power and the pull-up" },
    );
  }
  return f;
}
