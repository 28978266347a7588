import { readFileSync } from "node:fs";
import { API_TOKEN } from "../test/helpers/gateway.js";

/** Clock ticks per second (USER_HZ), the unit of cpuTicks(). */
export const TICK = 100;

/** CPU time a process has used so far (user + system), in clock ticks of 1/100 s. */
export function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

/** `ticks` of CPU over `seconds` of wall time, as % of one core. */
export const asPercent = (ticks: number, seconds: number): number => (ticks / TICK / seconds) * 100;

/** The CPU ticks `pid` uses over the next `ms`. */
export async function ticksOver(pid: number, ms: number): Promise<number> {
  const before = cpuTicks(pid);
  await new Promise((r) => setTimeout(r, ms));
  return cpuTicks(pid) - before;
}

/** The CPU `pid` uses over the next `ms`, as % of one core. */
export const cpuPercentOver = async (pid: number, ms: number): Promise<number> => asPercent(await ticksOver(pid, ms), ms / 1000);

export function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"))!;
  return Number(line.split(/\s+/)[1]) / 1024;
}

/** One sample from the gateway's /metrics at `base` (e.g. `wachter_viewers`, or with labels). */
export async function gatewayMetric(base: string, sample: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${API_TOKEN}` } })).text();
  const line = text.split("\n").find((l) => l.startsWith(`${sample} `));
  return Number(line?.split(" ")[1]);
}
