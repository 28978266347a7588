import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { API_TOKEN, GatewayProcess, ROOT } from "../test/helpers/gateway.js";
import { freePort, waitFor } from "../test/helpers/ports.js";
import { Proc } from "../test/helpers/processes.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

export interface ProfileResult {
  viewers: number;
  seconds: number;
  byPart: Array<{ part: string; percent: number }>;
  top: Array<{ fn: string; where: string; percent: number }>;
}

/** A span of the monotonic clock, in µs: V8 stamps its profiles with it, as `process.hrtime` reads it in every process. */
export interface ProfileWindow {
  from: number;
  to: number;
}

/** Now on the clock a CPU profile is stamped with (CLOCK_MONOTONIC, µs), the same in every process on the machine. */
export function profileClock(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

function part(url: string, fn: string): string {
  if (url.includes("node_modules/werift/")) return "werift's own JavaScript (SRTP framing, RTP, RTCP, SCTP, ICE)";
  if (url.includes("node_modules/tweetnacl") || url.includes("node_modules/@noble")) return "DTLS key exchange in JavaScript (tweetnacl, @noble; werift as published)";
  if (url.startsWith("node:internal/crypto")) return "node:crypto calls (werift creates a cipher per SRTP packet and DTLS record)";
  if (url.startsWith("node:dgram") || url.startsWith("node:internal/dgram")) return "UDP sends (node:dgram)";
  if (url.includes("/gateway/") || url.includes("/sensors/")) return "wachter's own code";
  if (url.includes("node_modules/")) return "other libraries";
  if (url.startsWith("node:")) return "other Node.js internals (timers, events, streams)";
  if (fn === "(garbage collector)") return "garbage collection";
  return "native and other";
}

/**
 * Where the gateway's CPU goes while `viewers` werift viewers receive the thermal track: runs it
 * under --cpu-prof and attributes sampled self time to werift, wachter's own code and the rest.
 */
export async function profileFanout(viewers: number, seconds: number): Promise<ProfileResult> {
  const dir = mkdtempSync(join(tmpdir(), "wachter-prof-"));
  const port = await freePort();
  const gateway = new GatewayProcess(
    { http: { host: "0.0.0.0", port }, webrtc: { maxViewers: 100 }, sources: [{ id: "sim", type: "simulated", thermalFps: 8, microphone: false }] },
    undefined,
    [],
    ["--cpu-prof", "--cpu-prof-dir", dir],
  ).asDeployed();
  await gateway.start();
  const crowd = new Proc(process.execPath, ["--import", "tsx", join(ROOT, "bench/viewers.ts"), `http://10.222.0.1:${port}`, API_TOKEN, String(viewers)], { cwd: ROOT });
  await waitFor("viewers", () => (crowd.stdout.includes("ready") ? true : !crowd.running ? Promise.reject(new Error(crowd.stderr)) : undefined), 60_000);
  const from = profileClock();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const to = profileClock();
  crowd.child.stdin!.write("stop\n");
  await crowd.stop();
  await gateway.stop();
  return { viewers, seconds, ...summarizeProfile(dir, { from, to }) };
}

/**
 * Sampled self time of the one CPU profile in `dir` within `window` (so that start-up and shutdown
 * are left out), by part and by function.
 */
export function summarizeProfile(dir: string, window: ProfileWindow): Pick<ProfileResult, "byPart" | "top"> {
  const file = join(dir, readdirSync(dir).find((f) => f.endsWith(".cpuprofile"))!);
  const profile = JSON.parse(readFileSync(file, "utf8")) as { nodes: ProfileNode[]; startTime: number; samples: number[]; timeDeltas: number[] };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    at += dt;
    if (at >= window.from && at <= window.to) self.set(id, (self.get(id) ?? 0) + dt);
  });
  const busy = [...self].filter(([id]) => byId.get(id)!.callFrame.functionName !== "(idle)").reduce((a, [, t]) => a + t, 0);
  const parts = new Map<string, number>();
  const fns = new Map<string, number>();
  for (const [id, t] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === "(idle)") continue;
    const p = part(url, functionName);
    parts.set(p, (parts.get(p) ?? 0) + t);
    const key = `${functionName || "(anonymous)"}\t${url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*\/work\/main\//, "")}:${lineNumber + 1}`;
    fns.set(key, (fns.get(key) ?? 0) + t);
  }
  const pct = (t: number) => (100 * t) / busy;
  return {
    byPart: [...parts].sort((a, b) => b[1] - a[1]).map(([p, t]) => ({ part: p, percent: pct(t) })),
    top: [...fns]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([k, t]) => ({ fn: k.split("\t")[0], where: k.split("\t")[1], percent: pct(t) })),
  };
}
