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
  /** Video + telemetry with `webrtc.telemetryBatch: 0` (a message every event-loop turn that has readings). */
  unbatchedCpuPct: number;
  floorCpuPct: number;
  srtpFloorCpuPct: number;
}

export interface FanoutResult {
  rows: FanoutRow[];
  packetsPerSecond: number;
  bytesPerPacket: number;
  gatewayPerViewer: number;
  videoOnlyPerViewer: number;
  unbatchedPerViewer: number;
  floorPerViewer: number;
  srtpFloorPerViewer: number;
  /** Telemetry messages each viewer was sent per second (with the most viewers), batched (the default) and not. */
  telemetryMessagesPerViewerSecond: number;
  unbatchedMessagesPerViewerSecond: number;
}

const TICK = 100;

async function cpuPercent(pid: number, seconds: number): Promise<number> {
  const before = cpuTicks(pid);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  return ((cpuTicks(pid) - before) / TICK / seconds) * 100;
}

const tsx = (script: string, args: string[]) => new Proc(process.execPath, ["--import", "tsx", join(ROOT, "bench", script), ...args], { cwd: ROOT });

/** With `telemetryBatch` undefined, as configured by default. */
async function startGateway(telemetryBatch?: number) {
  const port = await freePort();
  const gateway = new GatewayProcess({
    // All the viewers come from one address, as they would through a reverse proxy.
    http: { host: "0.0.0.0", port, maxConnectionsPerAddress: 200 },
    webrtc: { maxViewers: 100, ...(telemetryBatch === undefined ? {} : { telemetryBatch }) },
    sources: [{ id: "sim", type: "simulated", rateHz: 5, thermalFps: 8 }],
  });
  await gateway.start();
  return { gateway, pid: gateway.proc!.child.pid!, base: `http://10.222.0.1:${port}` };
}

/**
 * Gateway CPU and memory while N viewers (in a separate process) receive the thermal video
 * track and telemetry, then the video track alone, then both from a gateway that does not batch
 * telemetry; next to a plain UDP replay of the same RTP packets to N sockets, and the same
 * encrypted per viewer (the SRTP floor).
 */
export async function fanout(counts: number[], seconds: number): Promise<FanoutResult> {
  let gateway: GatewayProcess | undefined;
  let pid = 0;
  let base = "";
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
    telemetryRate = (await telemetrySent() - sentBefore) / n / seconds;
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
  const use = async (telemetryBatch?: number) => {
    await gateway?.stop();
    ({ gateway, pid, base } = await startGateway(telemetryBatch));
  };
  let batchedRate = 0;
  let unbatchedRate = 0;
  try {
    // The gateways take turns at each N, so that load drift on the machine hits both alike.
    for (const n of counts) {
      await use();
      const full = await measure(n, false);
      batchedRate = telemetryRate;
      const videoOnly = await measure(n, true);
      await use(0);
      const unbatched = await measure(n, false);
      unbatchedRate = telemetryRate;
      rows.push({ viewers: n, gatewayCpuPct: full.cpu, gatewayRssMb: full.rss, videoOnlyCpuPct: videoOnly.cpu, unbatchedCpuPct: unbatched.cpu, floorCpuPct: 0, srtpFloorCpuPct: 0 });
    }
  } finally {
    await gateway?.stop();
  }
  const floorCpu = async (viewers: number, mode: string[]) => {
    const floor = tsx("udpFloor.ts", [String(viewers), String(seconds), ...mode]);
    floor.child.stdin!.end(JSON.stringify(trace));
    await floor.exited;
    const { cpuMs } = JSON.parse(floor.stdout.trim()) as { cpuMs: number };
    return (cpuMs / 1000 / seconds) * 100;
  };
  for (const row of rows) {
    row.floorCpuPct = await floorCpu(row.viewers, []);
    row.srtpFloorCpuPct = await floorCpu(row.viewers, ["srtp"]);
  }
  const span = (trace.at(-1)![0] - trace[0][0]) / 1000;
  const perViewer = (cpu: (r: FanoutRow) => number) => slope(rows.map((r) => [r.viewers, cpu(r)]));
  return {
    rows,
    packetsPerSecond: trace.length / span,
    bytesPerPacket: trace.reduce((a, [, s]) => a + s, 0) / trace.length,
    gatewayPerViewer: perViewer((r) => r.gatewayCpuPct),
    videoOnlyPerViewer: perViewer((r) => r.videoOnlyCpuPct),
    unbatchedPerViewer: perViewer((r) => r.unbatchedCpuPct),
    floorPerViewer: perViewer((r) => r.floorCpuPct),
    srtpFloorPerViewer: perViewer((r) => r.srtpFloorCpuPct),
    telemetryMessagesPerViewerSecond: batchedRate,
    unbatchedMessagesPerViewerSecond: unbatchedRate,
  };
}
