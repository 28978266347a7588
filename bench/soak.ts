import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { API_TOKEN, GatewayProcess, ROOT } from "../test/helpers/gateway.js";
import { freePort, waitFor } from "../test/helpers/ports.js";
import { Proc } from "../test/helpers/processes.js";
import { PtyPair } from "../test/helpers/socat.js";
import { asPercent, cpuTicks, gatewayMetric, rssMb } from "./proc.js";
import { slope, summarize, type LatencyStats, type Matched } from "./stats.js";
import { benchFields, openLatencyPage, ttyToPage } from "./telemetryLatency.js";

export interface SoakResult {
  minutes: number;
  viewers: number;
  churnSeconds: number;
  joins: number;
  rssStartMb: number;
  rssEndMb: number;
  rssSlopeMbPerHour: number;
  /** NODE_OPTIONS the gateway ran with: the systemd unit's (deploy/wachter.service). */
  nodeOptions: string;
  /** The gateway's CPU over the soak, % of one core. */
  cpuPercent: number;
  /** Heap left after each full (mark-compact) GC, from --trace-gc: [ms since the soak began, MB]. */
  liveHeap: Array<[number, number]>;
  /**
   * The lowest of those per minute: [minute, MB]. A collection that runs while much is in flight
   * keeps that garbage alive until the next one, so single values scatter; the floor is what stays.
   */
  liveHeapFloor: Array<[number, number]>;
  liveHeapSlopeMbPerHour: number;
  /** The heap V8 holds (committed) after each full GC, from the same lines: [ms, MB]. */
  heapCommitted: Array<[number, number]>;
  rss: Array<[number, number]>;
  /** Memory held outside the JS heap by Buffers and typed arrays (Node's `external`): [ms, MB]. */
  external: Array<[number, number]>;
  fdsStart: number;
  fdsEnd: number;
  handlesStart: number;
  handlesEnd: number;
  /** Viewer sessions the gateway holds at the end: the live viewers plus the latency page. */
  sessionsEnd: number;
  latencyStart: LatencyStats;
  latencyEnd: LatencyStats;
  /** Both latency windows' samples, split by whether a viewer was joining when they were sent. */
  latencyDuringJoins: LatencyStats;
  latencyBetweenJoins: LatencyStats;
}

/** The samples sent while a join was under way (a "join-span" of bench/viewers.ts), and the others. */
function splitByJoins(runs: Matched[], spans: Array<[number, number]>): { during: Matched; between: Matched } {
  const during: Matched = { latencies: [], sentAt: [], lost: 0 };
  const between: Matched = { latencies: [], sentAt: [], lost: 0 };
  for (const run of runs) {
    run.sentAt.forEach((t, i) => {
      const side = spans.some(([from, to]) => t >= from && t <= to) ? during : between;
      side.latencies.push(run.latencies[i]);
      side.sentAt.push(t);
    });
  }
  return { during, between };
}

const fds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

/**
 * V8's --trace-gc lines, e.g. `[pid:0x2f0e0]  123456 ms: Mark-Compact 91.8 (125.2) -> 22.2 (56.4) MB, ...`:
 * [ms, MB live, MB committed] after each full GC. tsx's module loader runs in a worker with an
 * isolate (and lines) of its own; the gateway's is the isolate with the largest heap.
 */
function fullGcs(stdout: string): Array<[number, number, number]> {
  const byIsolate = new Map<string, Array<[number, number, number]>>();
  for (const m of stdout.matchAll(/^\[\d+:(0x[0-9a-f]+)\]\s+(\d+) ms: Mark-Compact[^\n]*?-> ([\d.]+) \(([\d.]+)\)/gm)) {
    const gcs = byIsolate.get(m[1]) ?? [];
    gcs.push([Number(m[2]), Number(m[3]), Number(m[4])]);
    byIsolate.set(m[1], gcs);
  }
  const largest = (gcs: Array<[number, number, number]>) => Math.max(...gcs.map(([, mb]) => mb));
  return [...byIsolate.values()].sort((a, b) => largest(b) - largest(a))[0] ?? [];
}

const slopePerHour = (samples: Array<[number, number]>) => slope(samples) * 3_600_000;

/**
 * The gateway with its simulated machine (thermal video, sound) and a serial board, 10 viewers
 * with churn, for `minutes`, with node sized as on a Pi (the systemd unit's NODE_OPTIONS): memory
 * (RSS and the heap left after each full GC), CPU, file descriptors, handles and sessions, and
 * telemetry latency at the start and at the end.
 */
export async function soak(browser: Browser, minutes: number, viewers = 10, churnSeconds = 5): Promise<SoakResult> {
  const pair = new PtyPair();
  await pair.start();
  const port = await freePort();
  const gateway = new GatewayProcess(
    {
      http: { host: "0.0.0.0", port },
      // Unbatched, as the latency target is judged: batching alone holds readings up to 100 ms.
      webrtc: { maxViewers: 50, telemetryBatch: 0 },
      sources: [
        { id: "sim", type: "simulated" },
        { id: "board", type: "serial", path: pair.device, baudRate: 921600, format: { type: "kv" }, fields: benchFields(1) },
      ],
    },
    undefined,
    [],
    ["--trace-gc"],
  ).asDeployed();
  const nodeOptions = gateway.env.NODE_OPTIONS;
  const launched = Date.now();
  await gateway.start();
  const pid = gateway.proc!.child.pid!;
  const metric = (sample: string) => gatewayMetric(`http://127.0.0.1:${port}`, sample);
  const crowd = new Proc(process.execPath, ["--import", "tsx", join(ROOT, "bench/viewers.ts"), `http://10.222.0.1:${port}`, API_TOKEN, String(viewers), String(churnSeconds * 1000)], { cwd: ROOT });
  const page = await openLatencyPage(browser, port);
  try {
    await waitFor("viewers", () => (crowd.stdout.includes("ready") ? true : !crowd.running ? Promise.reject(new Error(crowd.stderr)) : undefined), 60_000);
    const window = Math.min(30, (minutes * 60) / 6);
    const latencyStart = await ttyToPage(page, pair.board, window, 1, 50);
    const rssStartMb = rssMb(pid);
    const fdsStart = fds(pid);
    const handlesStart = await metric("wachter_nodejs_active_handles_total");
    const samples: Array<[number, number]> = [];
    const external: Array<[number, number]> = [];
    const t0 = Date.now();
    const ticks0 = cpuTicks(pid);
    const end = t0 + minutes * 60_000;
    while (Date.now() < end - (window + 2) * 1000) {
      samples.push([Date.now() - t0, rssMb(pid)]);
      external.push([Date.now() - t0, (await metric("wachter_nodejs_external_memory_bytes")) / 2 ** 20]);
      await new Promise((r) => setTimeout(r, 5000));
    }
    const latencyEnd = await ttyToPage(page, pair.board, window, 1, 50);
    const cpuPercent = asPercent(cpuTicks(pid) - ticks0, (Date.now() - t0) / 1000);
    const spans = [...crowd.stdout.matchAll(/^join-span ([\d.]+) ([\d.]+)$/gm)].map((m): [number, number] => [Number(m[1]), Number(m[2])]);
    const { during, between } = splitByJoins([latencyStart, latencyEnd], spans);
    crowd.child.stdin!.write("count\n");
    const joins = Number((await waitFor("count", () => /joined (\d+)/.exec(crowd.stdout)?.[1], 5000)) ?? 0);
    const warm = <T>(xs: T[]) => xs.slice(Math.floor(xs.length / 5));
    const gcs = fullGcs(gateway.proc!.stdout)
      .map(([t, live, committed]): [number, number, number] => [t - (t0 - launched), live, committed])
      .filter(([t]) => t >= 0);
    const liveHeap = gcs.map(([t, live]): [number, number] => [t, live]);
    const floor = new Map<number, number>();
    for (const [t, mb] of liveHeap) floor.set(Math.floor(t / 60_000), Math.min(mb, floor.get(Math.floor(t / 60_000)) ?? Infinity));
    const liveHeapFloor = [...floor].sort((a, b) => a[0] - b[0]);
    const warmFloor = warm(liveHeapFloor).map(([minute, mb]): [number, number] => [minute * 60_000, mb]);
    return {
      minutes,
      viewers,
      churnSeconds,
      joins,
      rssStartMb,
      rssEndMb: rssMb(pid),
      rssSlopeMbPerHour: warm(samples).length > 2 ? slopePerHour(warm(samples)) : Number.NaN,
      nodeOptions,
      cpuPercent,
      liveHeap,
      liveHeapFloor,
      liveHeapSlopeMbPerHour: warmFloor.length > 2 ? slopePerHour(warmFloor) : Number.NaN,
      heapCommitted: gcs.map(([t, , committed]): [number, number] => [t, committed]),
      rss: samples,
      external,
      fdsStart,
      fdsEnd: fds(pid),
      handlesStart,
      handlesEnd: await metric("wachter_nodejs_active_handles_total"),
      sessionsEnd: await metric("wachter_viewers"),
      latencyStart: summarize([latencyStart]),
      latencyEnd: summarize([latencyEnd]),
      latencyDuringJoins: summarize([during]),
      latencyBetweenJoins: summarize([between]),
    };
  } finally {
    crowd.child.stdin?.write("stop\n");
    await crowd.stop();
    await page.close();
    await gateway.stop();
    await pair.unplug();
  }
}
