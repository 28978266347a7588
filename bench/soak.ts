import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { API_TOKEN, GatewayProcess, ROOT } from "../test/helpers/gateway.js";
import { freePort, waitFor } from "../test/helpers/ports.js";
import { Proc } from "../test/helpers/processes.js";
import { PtyPair } from "../test/helpers/socat.js";
import type { LatencyStats } from "./stats.js";
import { benchFields, measureTty, openLatencyPage } from "./telemetryLatency.js";

export interface SoakResult {
  minutes: number;
  viewers: number;
  churnSeconds: number;
  joins: number;
  rssStartMb: number;
  rssEndMb: number;
  rssSlopeMbPerHour: number;
  fdsStart: number;
  fdsEnd: number;
  latencyStart: LatencyStats;
  latencyEnd: LatencyStats;
}

const rss = (pid: number) => Number(readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"))!.split(/\s+/)[1]) / 1024;
const fds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

function slopePerHour(samples: Array<[number, number]>): number {
  const n = samples.length;
  const mx = samples.reduce((a, [x]) => a + x, 0) / n;
  const my = samples.reduce((a, [, y]) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of samples) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return (num / den) * 3_600_000;
}

/**
 * The gateway with its simulated machine (thermal video, sound) and a serial board, 10 viewers
 * with churn, for `minutes`: memory and file descriptors over time, telemetry latency at the
 * start and at the end.
 */
export async function soak(browser: Browser, minutes: number, viewers = 10, churnSeconds = 5): Promise<SoakResult> {
  const pair = new PtyPair();
  await pair.start();
  const port = await freePort();
  const gateway = new GatewayProcess({
    http: { host: "0.0.0.0", port },
    webrtc: { maxViewers: 50 },
    sources: [
      { id: "sim", type: "simulated" },
      { id: "board", type: "serial", path: pair.device, baudRate: 921600, format: { type: "kv" }, fields: benchFields(1) },
    ],
  });
  await gateway.start();
  const pid = gateway.proc!.child.pid!;
  const crowd = new Proc(process.execPath, ["--import", "tsx", join(ROOT, "bench/viewers.ts"), `http://10.222.0.1:${port}`, API_TOKEN, String(viewers), String(churnSeconds * 1000)], { cwd: ROOT });
  const page = await openLatencyPage(browser, port);
  try {
    await waitFor("viewers", () => (crowd.stdout.includes("ready") ? true : !crowd.running ? Promise.reject(new Error(crowd.stderr)) : undefined), 60_000);
    const window = Math.min(10, (minutes * 60) / 6);
    const latencyStart = await measureTty(page, pair.board, window, 1, 50);
    const rssStartMb = rss(pid);
    const fdsStart = fds(pid);
    const samples: Array<[number, number]> = [];
    const t0 = Date.now();
    const end = t0 + minutes * 60_000;
    while (Date.now() < end - (window + 2) * 1000) {
      samples.push([Date.now() - t0, rss(pid)]);
      await new Promise((r) => setTimeout(r, 5000));
    }
    const latencyEnd = await measureTty(page, pair.board, window, 1, 50);
    crowd.child.stdin!.write("count\n");
    const joins = Number((await waitFor("count", () => /joined (\d+)/.exec(crowd.stdout)?.[1], 5000)) ?? 0);
    const warm = samples.slice(Math.floor(samples.length / 5));
    return {
      minutes,
      viewers,
      churnSeconds,
      joins,
      rssStartMb,
      rssEndMb: rss(pid),
      rssSlopeMbPerHour: warm.length > 2 ? slopePerHour(warm) : Number.NaN,
      fdsStart,
      fdsEnd: fds(pid),
      latencyStart,
      latencyEnd,
    };
  } finally {
    crowd.child.stdin?.write("stop\n");
    await crowd.stop();
    await page.close();
    await gateway.stop();
    await pair.unplug();
  }
}
