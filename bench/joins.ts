import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { API_TOKEN, GatewayProcess, ROOT } from "../test/helpers/gateway.js";
import { freePort, waitFor } from "../test/helpers/ports.js";
import { Proc } from "../test/helpers/processes.js";
import { asPercent, cpuTicks, TICK, ticksOver } from "./proc.js";
import type { KeyExchangeResult } from "./keyExchange.js";
import { profileClock, summarizeProfile, type ProfileResult } from "./profile.js";

export interface JoinCostResult {
  joins: number;
  /** Gateway CPU per join, ms: what the joins cost beyond the viewers' steady state. */
  cpuMsPerJoin: number;
  /** Gateway CPU rate with one viewer before the joins and with all of them after, % of one core. */
  steadyBeforePct: number;
  steadyAfterPct: number;
  /** Where the joins' CPU went (the gateway under --cpu-prof while viewers join), when asked for. */
  profile?: Pick<ProfileResult, "byPart" | "top">;
}

/**
 * What a viewer's join costs the gateway (WHEP, ICE, the DTLS handshake, SCTP, the telemetry
 * snapshot and history): `joins` werift viewers of telemetry alone (no camera, so that media does
 * not drown the joins in the profile) join one after another, each until its snapshot arrives, and
 * the gateway's CPU over the joins, less the steady cost of the viewers it holds, is divided among
 * them. With `profile` the gateway runs under --cpu-prof; `cli` runs another build of it (a baseline).
 */
export async function joinCost(joins: number, { profile = false, cli }: { profile?: boolean; cli?: string } = {}): Promise<JoinCostResult> {
  const dir = mkdtempSync(join(tmpdir(), "wachter-joins-"));
  const port = await freePort();
  const gateway = new GatewayProcess(
    { http: { host: "0.0.0.0", port }, webrtc: { maxViewers: 100 }, sources: [{ id: "sim", type: "simulated", rateHz: 5, thermalFps: 0, microphone: false }] },
    undefined,
    [],
    profile ? ["--cpu-prof", "--cpu-prof-dir", dir] : [],
  ).asDeployed();
  if (cli) gateway.cli = cli;
  await gateway.start();
  const pid = gateway.proc!.child.pid!;
  const crowd = new Proc(process.execPath, ["--import", "tsx", join(ROOT, "bench/viewers.ts"), `http://10.222.0.1:${port}`, API_TOKEN, "1", "--data-only"], { cwd: ROOT });
  try {
    await waitFor("the first viewer", () => (crowd.stdout.includes("ready") ? true : !crowd.running ? Promise.reject(new Error(crowd.stderr)) : undefined), 60_000);
    await new Promise((r) => setTimeout(r, 2000));
    const steadyMs = 5000;
    const before = await ticksOver(pid, steadyMs);
    const t0 = performance.now();
    const from = profileClock();
    const c0 = cpuTicks(pid);
    for (let i = 0; i < joins; i++) {
      const answers = crowd.stdout.split("\n").filter((l) => l.startsWith("joined")).length;
      crowd.child.stdin!.write("join\n");
      const said = await waitFor(`join ${i + 1}`, () => crowd.stdout.split("\n").filter((l) => l.startsWith("joined") || l.startsWith("refused")).slice(answers)[0], 30_000);
      if (said !== "joined") throw new Error(`join ${i + 1}: ${said}`);
    }
    const joinTicks = cpuTicks(pid) - c0;
    const joinMs = performance.now() - t0;
    const to = profileClock();
    await new Promise((r) => setTimeout(r, 2000));
    const after = await ticksOver(pid, steadyMs);
    // The viewers held grow from 1 to joins + 1 during the joins: their steady cost grows alike.
    const steadyDuring = ((before + after) / 2 / steadyMs) * joinMs;
    crowd.child.stdin!.write("stop\n");
    await crowd.exited;
    await gateway.stop();
    return {
      joins,
      cpuMsPerJoin: ((joinTicks - steadyDuring) * 1000) / TICK / joins,
      steadyBeforePct: asPercent(before, steadyMs / 1000),
      steadyAfterPct: asPercent(after, steadyMs / 1000),
      profile: profile ? summarizeProfile(dir, { from, to }) : undefined,
    };
  } finally {
    await crowd.stop();
    await gateway.stop();
  }
}

/** The last commit before issue 19's work (faster than the alternatives): the gateway the issue measured. */
export const JOINS_BASELINE_REV = "7c008d1";

/** The gateway with werift as published, as it was when issue 19 was filed, against this checkout: CPU per join, round by round. */
export interface JoinsBaseline {
  rev: string;
  currentMs: number[];
  baselineMs: number[];
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export function joinsRatio(b: JoinsBaseline): number {
  return mean(b.currentMs) / mean(b.baselineMs);
}

/** This checkout's CPU per join, ms: the mean over the rounds. */
export const meanJoinMs = (b: JoinsBaseline): number => mean(b.currentMs);

/** Each round's ratio: how far one pair of runs can stray from the mean's. */
export const roundRatios = (b: JoinsBaseline): number[] => b.currentMs.map((c, i) => c / b.baselineMs[i]);

export function joinsSection(r: JoinCostResult, keyExchange: KeyExchangeResult, b: JoinsBaseline): string {
  const p = r.profile;
  return `## Viewer joins: CPU per join and the DTLS key exchange

${r.joins} werift viewers of telemetry (in another process; the simulated machine without its camera and
microphone, so that media does not drown the joins) join one after another, each until its snapshot arrives; the gateway's CPU over the joins, less the steady cost of the viewers it holds
(in the last round ${r.steadyBeforePct.toFixed(1)} % of a core with one viewer, ${r.steadyAfterPct.toFixed(1)} % with ${r.joins + 1}), is shared among them:
**${meanJoinMs(b).toFixed(1)} ms of gateway CPU per join**, the mean of the rounds below (WHEP, ICE, the DTLS handshake, SCTP, the telemetry snapshot and history).

Against the baseline, in turns in the same run: the gateway as it was when issue 19 was filed
(\`${b.rev}\`) with werift as published (the patches in \`patches/\` undone in a copy), joined the same way.

| round | this checkout, ms per join | baseline, ms per join | ratio |
|---|---:|---:|---:|
${b.currentMs.map((c, i) => `| ${i + 1} | ${c.toFixed(1)} | ${b.baselineMs[i].toFixed(1)} | ${roundRatios(b)[i].toFixed(2)} |`).join("\n")}

**CPU per join: ${joinsRatio(b).toFixed(2)}× the baseline** (the means' ratio; target ≤ 0.5: halved).
${p ? `\nWhere a join's CPU goes (gateway under \`--cpu-prof\` during the joins, share of busy time; the viewers already held keep receiving telemetry meanwhile, so their sends are in it too):\n\n| part | % |\n|---|---:|\n${p.byPart.map((x) => `| ${x.part} | ${x.percent.toFixed(1)} |`).join("\n")}\n\n| function | where | % |\n|---|---|---:|\n${p.top.map((x) => `| \`${x.fn}\` | ${x.where} | ${x.percent.toFixed(1)} |`).join("\n")}\n` : ""}
The server's side of the DTLS key exchange, per handshake (generate a key pair, derive the
premaster secret from the peer's public key), ${keyExchange.rounds} times in this process:

| curve | werift as installed (patched) | JavaScript (tweetnacl, @noble/curves: werift 0.25.2 as published) | ratio |
|---|---:|---:|---:|
${keyExchange.curves.map((c) => `| ${c.curve} | ${c.installedMs.toFixed(3)} ms | ${c.javascriptMs.toFixed(3)} ms | ${(c.javascriptMs / c.installedMs).toFixed(1)} |`).join("\n")}`;
}
