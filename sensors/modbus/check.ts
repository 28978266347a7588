import type { Finding } from "../../common/findings.js";
import type { Logger } from "../../common/logger.js";
import { describeBus, ModbusBus, type ReadOutcome } from "./bus.js";
import { pointValue } from "./decode.js";
import { resolvePoints, type ModbusSourceOptions } from "./schema.js";

const FIX: Partial<Record<Exclude<ReadOutcome, { ok: true }>["failure"], (o: ModbusSourceOptions) => string>> = {
  timeout: (o) =>
    o.transport === "rtu"
      ? `check the unit id, the wiring (swap A and B if nothing answers) and that the device is set to ${describeBus(o).split(" ").slice(1).join(" ")}`
      : "check the unit id (many devices answer only 1, or 255) and the address",
  exception: () => "check the address, function and type against the device's register map",
  corrupt: () => "check the wiring, termination and ground, and that the baud rate and framing match the device",
};

/** doctor: opens the bus once and reads every point on its own, so each gets its own answer. */
export async function checkModbus(o: ModbusSourceOptions, log: Logger): Promise<Finding[]> {
  const section = "configured sources";
  let lost: string | undefined;
  let settle: (open: boolean) => void = () => {};
  const opened = new Promise<boolean>((resolve) => (settle = resolve));
  const bus = new ModbusBus(o, { opened: () => settle(true), lost: (reason) => ((lost = reason), settle(false)) }, log, false);
  bus.start();
  try {
    if (!(await opened)) return [{ section, mark: "fail", text: `${o.id}: ${lost}`, fix: "check the adapter or the address, and the bus settings in the configuration" }];
    const findings: Finding[] = [];
    for (const p of resolvePoints(o)) {
      const what = `${o.id}: ${p.label}${p.type ? ` ${p.type}${p.count > 1 ? ` ${p.wordOrder}` : ""}` : ""} → ${p.channel}`;
      const outcome = await bus.read(p.unitId, p.function, p.address, p.count);
      if (!outcome.ok) {
        findings.push({ section, mark: "fail", text: `${what}: ${outcome.message}`, fix: FIX[outcome.failure]?.(o) });
        continue;
      }
      const v = pointValue(p, p.address, outcome.words, outcome.bits);
      findings.push(v.ok ? { section, mark: "ok", text: `${what} = ${v.value}${p.unit ? ` ${p.unit}` : ""}` } : { section, mark: "warn", text: `${what}: ${v.reason}`, fix: "check the type, word order, scale and limits" });
    }
    return findings;
  } finally {
    await bus.stop();
  }
}
