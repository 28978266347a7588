import { join } from "node:path";
import { API_TOKEN, GatewayProcess, ROOT } from "../test/helpers/gateway.js";
import { freePort, waitFor } from "../test/helpers/ports.js";
import { Proc } from "../test/helpers/processes.js";
import { cpuTicks, gatewayMetric, rssMb } from "./proc.js";
import { slope } from "./stats.js";

export interface FanoutRow {
  viewers: number;
  gatewayCpuPct: number;
  gatewayRssMb: number;
  /** The same viewers without the telemetry channel: the video track alone. */
  videoOnlyCpuPct: number;
  floorCpuPct: number;
}

export interface FanoutResult {
  rows: FanoutRow[];
  packetsPerSecond: number;
  bytesPerPacket: number;
  gatewayPerViewer: number;
  videoOnlyPerViewer: number;
  floorPerViewer: number;
  /** Telemetry messages each viewer was sent per second (with the most viewers). */
  telemetryMessagesPerViewerSecond: number;
}

const TICK = 100;

async function cpuPercent(pid: number, seconds: number): Promise<number> {
  const before = cpuTicks(pid);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  return ((cpuTicks(pid) - before) / TICK / seconds) * 100;
}

const tsx = (script: string, args: string[]) => new Proc(process.execPath, ["--import", "tsx", join(ROOT, "bench", script), ...args], { cwd: ROOT });

/**
 * Gateway CPU and memory while N viewers (in a separate process) receive the thermal video
 * track and telemetry, then the video track alone, next to a plain UDP replay of the same RTP
 * packets to N sockets.
 */
export async function fanout(counts: number[], seconds: number): Promise<FanoutResult> {
  const port = await freePort();
  const gateway = new GatewayProcess({
    http: { host: "0.0.0.0", port },
    webrtc: { maxViewers: 100 },
    sources: [{ id: "sim", type: "simulated", rateHz: 5, thermalFps: 8 }],
  });
  await gateway.start();
  const pid = gateway.proc!.child.pid!;
  const base = `http://10.222.0.1:${port}`;
  const rows: FanoutRow[] = [];
  let trace: Array<[number, number]> = [];
  let telemetryRate = 0;
  const telemetrySent = () => gatewayMetric(base, 'wachter_datachannel_messages_total{label="telemetry"}');
  const measure = async (n: number, videoOnly: boolean) => {
    const viewers = tsx("viewers.ts", [base, API_TOKEN, String(n), ...(videoOnly ? ["--video-only"] : [])]);
    await waitFor(`${n} viewers receiving video`, () => (viewers.stdout.includes("ready") ? true : !viewers.running ? Promise.reject(new Error(viewers.stderr)) : undefined), 90_000);
    await new Promise((r) => setTimeout(r, 2000));
    const sentBefore = await telemetrySent();
    const cpu = await cpuPercent(pid, seconds);
    if (!videoOnly) telemetryRate = (await telemetrySent() - sentBefore) / n / seconds;
    const rss = rssMb(pid);
    if (trace.length === 0) {
      viewers.child.stdin!.write("trace\n");
      const json = await waitFor("trace", () => viewers.stdout.split("\n").find((l) => l.startsWith("[")), 20_000);
      trace = JSON.parse(json);
    }
    viewers.child.stdin!.write("stop\n");
    await viewers.exited;
    return { cpu, rss };
  };
  try {
    for (const n of counts) {
      const full = await measure(n, false);
      const videoOnly = await measure(n, true);
      rows.push({ viewers: n, gatewayCpuPct: full.cpu, gatewayRssMb: full.rss, videoOnlyCpuPct: videoOnly.cpu, floorCpuPct: 0 });
    }
  } finally {
    await gateway.stop();
  }
  for (const row of rows) {
    const floor = tsx("udpFloor.ts", [String(row.viewers), String(seconds)]);
    floor.child.stdin!.end(JSON.stringify(trace));
    await floor.exited;
    const { cpuMs } = JSON.parse(floor.stdout.trim()) as { cpuMs: number };
    row.floorCpuPct = (cpuMs / 1000 / seconds) * 100;
  }
  const span = (trace.at(-1)![0] - trace[0][0]) / 1000;
  const perViewer = (cpu: (r: FanoutRow) => number) => slope(rows.map((r) => [r.viewers, cpu(r)]));
  return {
    rows,
    packetsPerSecond: trace.length / span,
    bytesPerPacket: trace.reduce((a, [, s]) => a + s, 0) / trace.length,
    gatewayPerViewer: perViewer((r) => r.gatewayCpuPct),
    videoOnlyPerViewer: perViewer((r) => r.videoOnlyCpuPct),
    floorPerViewer: perViewer((r) => r.floorCpuPct),
    telemetryMessagesPerViewerSecond: telemetryRate,
  };
}
