import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { familyOf } from "./families.js";

export const DEFAULT_W1_BASE = "/sys/bus/w1/devices";

export interface BusScan {
  /** Temperature sensors (w1_therm families) by sysfs name, e.g. 28-00000abcdef1. */
  sensors: string[];
  /** Bus masters (w1_bus_master1 …) offering therm_bulk_read. */
  bulkMasters: string[];
}

/** What is on the bus now; throws the fs error when the base directory itself is missing. */
export async function scanBus(base: string): Promise<BusScan> {
  const names = await readdir(base);
  const masters = names.filter((n) => /^w1_bus_master\d+$/.test(n));
  const bulkMasters: string[] = [];
  for (const m of masters) {
    if ((await readdir(join(base, m)).catch(() => [] as string[])).includes("therm_bulk_read")) bulkMasters.push(m);
  }
  return { sensors: names.filter((n) => familyOf(n) !== undefined).sort(), bulkMasters };
}

/**
 * Starts one conversion on every sensor of a bus at once. The kernel sleeps through the
 * conversion (≈750 ms at 12 bits) inside this write, then each sensor's next read returns the
 * converted scratchpad at once instead of converting (and sleeping) on its own.
 */
export function triggerBulkConversion(base: string, master: string): Promise<void> {
  return writeFile(join(base, master, "therm_bulk_read"), "trigger\n");
}

export type SensorRead = { file: "w1_slave" | "temperature"; text: string } | { missing: true };

/** One sensor's reading as the kernel gives it: w1_slave, or `temperature` where there is no w1_slave. */
export async function readSensor(base: string, id: string): Promise<SensorRead> {
  for (const file of ["w1_slave", "temperature"] as const) {
    try {
      return { file, text: await readFile(join(base, id, file), "utf8") };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
  }
  return { missing: true };
}

/** Why there is no bus, for a source's status and for doctor. */
export function noBusReason(base: string, err: NodeJS.ErrnoException): string {
  if (err.code !== "ENOENT") return `cannot read ${base}: ${err.message}`;
  return `no 1-Wire bus: ${base} does not exist. Enable it with the line dtoverlay=w1-gpio in /boot/firmware/config.txt (dtoverlay=w1-gpio,gpiopin=N for another pin than GPIO 4), reboot, and fit a 4.7 kΩ pull-up between the data line and 3.3 V`;
}
