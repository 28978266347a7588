import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc8 } from "../../sensors/onewire/crc8.js";

const hex = (bytes: number[]) => bytes.map((b) => b.toString(16).padStart(2, "0")).join(" ");

/** A DS18B20 scratchpad for a temperature (12 bits: 1/16 °C), without its CRC byte. */
export function ds18b20Scratchpad(celsius: number): number[] {
  const raw = Math.round(celsius * 16) & 0xffff;
  // Byte 6 is 0x0C only at power-on; after a conversion it is 0x10 minus the low nibble.
  return [raw & 0xff, raw >> 8, 0x4b, 0x46, 0x7f, 0xff, 0x10 - (raw & 0x0f), 0x10];
}

/** w1_slave exactly as the kernel prints it, with a correct CRC-8 unless `crc` overrides it. */
export function w1Slave(scratchpad: number[], milli: number, verdict: "YES" | "NO" = "YES", crc = crc8(scratchpad)): string {
  const bytes = hex([...scratchpad, crc]);
  return `${bytes} : crc=${crc.toString(16).padStart(2, "0")} ${verdict}\n${bytes} t=${milli}\n`;
}

export const ds18b20 = (celsius: number) => w1Slave(ds18b20Scratchpad(celsius), Math.trunc((Math.round(celsius * 16) * 1000) / 16));

/** Lines captured from real sensors (the CRC is what the sensor sent). */
export const CAPTURED = {
  /** DS18B20 at 23.125 °C. */
  good: "72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=23125\n",
  /** Line noise: the kernel's CRC check failed; t= is computed from the bad bytes. */
  crcNo: "ff ff ff ff ff ff ff ff ff : crc=c9 NO\n72 01 4b 46 7f ff 0e 10 57 t=-62\n",
  /** The scratchpad right after power-on: 85 °C with byte 6 = 0x0C. */
  powerOn: "50 05 4b 46 7f ff 0c 10 1c : crc=1c YES\n50 05 4b 46 7f ff 0c 10 1c t=85000\n",
  /** Data line shorted to ground: all zeros, which passes the CRC. */
  allZero: "00 00 00 00 00 00 00 00 00 : crc=00 YES\n00 00 00 00 00 00 00 00 00 t=0\n",
};

/** A directory shaped like /sys/bus/w1/devices, with a bus master and sensors. */
export class W1Tree {
  readonly base = join(mkdtempSync(join(tmpdir(), "wachter-w1-")), "devices");

  constructor(bulk = true) {
    mkdirSync(join(this.base, "w1_bus_master1"), { recursive: true });
    if (bulk) writeFileSync(this.bulkFile, "0\n");
  }

  get bulkFile(): string {
    return join(this.base, "w1_bus_master1", "therm_bulk_read");
  }

  sensor(id: string, text: string, file: "w1_slave" | "temperature" = "w1_slave"): void {
    mkdirSync(join(this.base, id), { recursive: true });
    writeFileSync(join(this.base, id, file), text);
  }

  remove(id: string): void {
    rmSync(join(this.base, id), { recursive: true, force: true });
  }

  destroy(): void {
    rmSync(join(this.base, ".."), { recursive: true, force: true });
  }
}
