import type { Finding } from "../../common/findings.js";
import type { Logger } from "../../common/logger.js";
import { describeBus, ModbusBus } from "./bus.js";
import { pointValue } from "./decode.js";
import { resolvePoints, type ModbusSourceOptions } from "./schema.js";

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
        findings.push({ section, mark: "fail", text: `${what}: ${outcome.message}`, fix: outcome.failure === "timeout" ? `check the unit id, the wiring and ${describeBus(o)}'s settings against the device` : undefined });
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
