import { join } from "node:path";
import { API_TOKEN, GatewayProcess, ROOT } from "../test/helpers/gateway.js";
import { freePort, waitFor } from "../test/helpers/ports.js";
import { Proc } from "../test/helpers/processes.js";
import { cpuPercentOver, gatewayMetric, rssMb } from "./proc.js";
import { slope } from "./stats.js";

export interface FanoutRow {
  viewers: number;
  gatewayCpuPct: number;
  gatewayRssMb: number;
  /** The same viewers without the telemetry channel: the video track alone. */
  videoOnlyCpuPct: number;
  /** Video + telemetry with `webrtc.telemetryBatch: 0` (a message every event-loop turn that has readings). */
  unbatchedCpuPct: number;
  /** The floors replay what one viewer received: the RTP packets and the telemetry messages. */
  floorCpuPct: number;
  srtpFloorCpuPct: number;
}

export interface FanoutResult {
  rows: FanoutRow[];
  /** RTP packets one viewer received, and their average size. */
  packetsPerSecond: number;
  bytesPerPacket: number;
  /** Telemetry messages one viewer received (batched), and their average size. */
  messagesPerSecond: number;
  bytesPerMessage: number;
  gatewayPerViewer: number;
  videoOnlyPerViewer: number;
  unbatchedPerViewer: number;
  floorPerViewer: number;
  srtpFloorPerViewer: number;
  /** The floors of the RTP packets alone, for the video-only viewers. */
  videoFloorPerViewer: number;
  videoSrtpFloorPerViewer: number;
  /** The floors' cost per viewer is measured between 1 and this many viewers. */
  floorViewers: number;
  /** Telemetry messages each viewer was sent per second (with the most viewers), batched (the default) and not. */
  telemetryMessagesPerViewerSecond: number;
  unbatchedMessagesPerViewerSecond: number;
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
  }).asDeployed();
  await gateway.start();
  return { gateway, pid: gateway.proc!.child.pid!, base: `http://10.222.0.1:${port}` };
}

/**
 * Gateway CPU and memory while N viewers (in a separate process) receive the thermal video
 * track and telemetry, then the video track alone, then both from a gateway that does not batch
 * telemetry; next to a plain UDP replay of the same RTP packets and telemetry messages to N
 * sockets, and the same encrypted per viewer (the SRTP floor); and those floors for the RTP
 * packets alone, next to the video-only viewers.
 */
export async function fanout(counts: number[], seconds: number): Promise<FanoutResult> {
  let gateway: GatewayProcess | undefined;
  let pid = 0;
  let base = "";
  const rows: FanoutRow[] = [];
  let trace: Array<[number, number, "rtp" | "data"]> = [];
  let telemetryRate = 0;
  const telemetrySent = () => gatewayMetric(base, 'wachter_datachannel_messages_total{label="telemetry"}');
  const measure = async (n: number, videoOnly: boolean) => {
    const viewers = tsx("viewers.ts", [base, API_TOKEN, String(n), ...(videoOnly ? ["--video-only"] : [])]);
    await waitFor(`${n} viewers receiving video`, () => (viewers.stdout.includes("ready") ? true : !viewers.running ? Promise.reject(new Error(viewers.stderr)) : undefined), 90_000);
    await new Promise((r) => setTimeout(r, 2000));
    const sentBefore = await telemetrySent();
    const cpu = await cpuPercentOver(pid, seconds * 1000);
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
  const video = trace.filter(([, , kind]) => kind === "rtp");
  const data = trace.filter(([, , kind]) => kind === "data");
  const floorCpu = async (viewers: number, packets: typeof trace, mode: string[], floorSeconds = seconds) => {
    const floor = tsx("udpFloor.ts", [String(viewers), String(floorSeconds), ...mode]);
    floor.child.stdin!.end(JSON.stringify(packets));
    await floor.exited;
    const { cpuMs } = JSON.parse(floor.stdout.trim()) as { cpuMs: number };
    return (cpuMs / 1000 / floorSeconds) * 100;
  };
  for (const row of rows) {
    row.floorCpuPct = await floorCpu(row.viewers, trace, []);
    row.srtpFloorCpuPct = await floorCpu(row.viewers, trace, ["srtp"]);
  }
  // A floor costs a few µs per datagram and viewer: over the rows' 1 to 40 viewers that is less
  // than the machine's noise. Its cost per viewer is measured apart, between 1 and four times the
  // most viewers, each for three times as long.
  const most = 4 * Math.max(...counts);
  const floorPerViewer = async (packets: typeof trace, mode: string[]) => {
    const one = await floorCpu(1, packets, mode, 3 * seconds);
    return ((await floorCpu(most, packets, mode, 3 * seconds)) - one) / (most - 1);
  };
  const floors = {
    floorPerViewer: await floorPerViewer(trace, []),
    srtpFloorPerViewer: await floorPerViewer(trace, ["srtp"]),
    videoFloorPerViewer: await floorPerViewer(video, []),
    videoSrtpFloorPerViewer: await floorPerViewer(video, ["srtp"]),
  };
  const span = (trace.at(-1)![0] - trace[0][0]) / 1000;
  const perViewer = (cpu: (r: FanoutRow) => number) => slope(rows.map((r) => [r.viewers, cpu(r)]));
  return {
    rows,
    packetsPerSecond: video.length / span,
    bytesPerPacket: video.reduce((a, [, s]) => a + s, 0) / video.length,
    messagesPerSecond: data.length / span,
    bytesPerMessage: data.reduce((a, [, s]) => a + s, 0) / Math.max(1, data.length),
    gatewayPerViewer: perViewer((r) => r.gatewayCpuPct),
    videoOnlyPerViewer: perViewer((r) => r.videoOnlyCpuPct),
    unbatchedPerViewer: perViewer((r) => r.unbatchedCpuPct),
    floorViewers: most,
    ...floors,
    telemetryMessagesPerViewerSecond: batchedRate,
    unbatchedMessagesPerViewerSecond: unbatchedRate,
  };
}
