import { existsSync, readdirSync, realpathSync } from "node:fs";
import { SerialPort } from "serialport";
import type { Finding } from "../../common/findings.js";

/** The USB serial ports on this machine, by their stable /dev/serial/by-id names where they have one. */
export async function serialPorts(): Promise<Finding[]> {
  const f: Finding[] = [];
  const byId = existsSync("/dev/serial/by-id") ? readdirSync("/dev/serial/by-id").map((n) => `/dev/serial/by-id/${n}`) : [];
  const stable = new Map(byId.map((p) => [realpathSync(p), p]));
  try {
    const ports = await SerialPort.list();
    const usb = ports.filter((p) => p.vendorId || stable.has(p.path));
    if (usb.length === 0) f.push({ section: "serial", mark: "info", text: "no USB serial ports found (plug in the sensor board)" });
    for (const p of usb) {
      f.push({ section: "serial", mark: "ok", text: `${stable.get(p.path) ?? p.path} → ${p.path}${p.manufacturer ? ` (${p.manufacturer}${p.vendorId ? ` ${p.vendorId}:${p.productId}` : ""})` : ""}` });
    }
  } catch (err) {
    f.push({ section: "serial", mark: "warn", text: `cannot list serial ports: ${(err as Error).message}`, fix: "install udev (udevadm is needed to list ports)" });
    for (const p of byId) f.push({ section: "serial", mark: "ok", text: p });
  }
  return f;
}
