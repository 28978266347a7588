import { closeSync, constants, openSync, writeSync } from "node:fs";
import type { Browser } from "playwright-core";
import { API_TOKEN, GatewayProcess } from "../test/helpers/gateway.js";
import { freePort } from "../test/helpers/ports.js";
import { PtyPair } from "../test/helpers/socat.js";
import { drive, now } from "./pacing.js";
import { rssMb } from "./proc.js";
import { percentile } from "./stats.js";
import { benchFields, line, openLatencyPage } from "./telemetryLatency.js";

const CHANNELS = 20;
const RATE_HZ = 50;
/** Seconds between the firings; each record is assembled 5.5 s after its firing. */
const SPACING_S = 20;
const FIRINGS = 3;

export interface IncidentCostRun {
  telemetryBeforeS: number;
  records: Array<{ ms: number; bytes: number; blocks: number; files: number; historyMs: number; buildMs: number }>;
  /** Telemetry latency (tty → browser, unbatched) of the samples sent while a record was assembled, and of all the others. */
  latency: { during: number[]; outside: { p50: number; p99: number; max: number; samples: number } };
  /** The gateway's event-loop delay, max per 200 ms scrape of /metrics: the scrapes that overlap an assembly, and the others. */
  lagMs: { during: number[]; outside: { p50: number; p99: number; max: number } };
  rssMb: { before: number; peak: number };
}

interface LogLine {
  msg: string;
  time: number;
  ms?: number;
  bytes?: number;
  blocks?: number;
  files?: number;
  historyMs?: number;
  buildMs?: number;
}

/**
 * The cost of an incident record in the live gateway: a 20-channel serial board at 50 Hz (the
 * record's telemetry), the simulated machine's 32×24 camera and microphone (its frames, sound and
 * spectrum), and three alerts that fire 20 s apart, each assembled 5.5 s after it fired. Measured:
 * each assembly's time, size and memory, and what the live stream felt meanwhile: the latency of
 * every sample from the tty to a Chromium viewer (telemetry unbatched, the path most sensitive to
 * a stall), and the gateway's event-loop delay from /metrics, during the assemblies against the
 * rest of the same run.
 */
export async function incidentCost(browser: Browser, telemetryBeforeS: number): Promise<IncidentCostRun> {
  const pair = new PtyPair();
  await pair.start();
  const port = await freePort();
  // c0 carries the sample's number: a rule above N fires once, when sample N arrives.
  const firstAt = Math.max(telemetryBeforeS, 35) + 5;
  const rules = Array.from({ length: FIRINGS }, (_, k) => ({ id: `count-${k + 1}`, channels: ["bench.c0"], severity: "critical", when: { above: (firstAt + k * SPACING_S) * RATE_HZ } }));
  const gateway = new GatewayProcess({
    http: { host: "127.0.0.1", port },
    webrtc: { telemetryBatch: 0 },
    sources: [
      { id: "board", type: "serial", path: pair.device, baudRate: 921600, format: { type: "kv" }, fields: benchFields(CHANNELS) },
      { id: "sim", type: "simulated", rateHz: 5, thermalFps: 8, microphone: true },
    ],
    alerts: { rules },
    incidents: { telemetry: { before: `${telemetryBeforeS}s`, after: "5s" }, frames: { before: "30s", after: "5s" }, sound: { before: "10s", after: "5s" } },
  }).asDeployed();
  await gateway.start();
  const pid = gateway.proc!.child.pid!;
  const page = await openLatencyPage(browser, port);
  const lag: Array<[number, number]> = [];
  const rss: number[] = [];
  let scraping = true;
  const scraper = (async () => {
    while (scraping) {
      const t = now();
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { Authorization: `Bearer ${API_TOKEN}` } })).text();
      lag.push([t, Number(/^wachter_nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(text)?.[1]) * 1000]);
      rss.push(rssMb(pid));
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  try {
    const rssBefore = rssMb(pid);
    const fd = openSync(pair.board, constants.O_WRONLY | constants.O_NOCTTY);
    const sent = await drive(firstAt + (FIRINGS - 1) * SPACING_S + 10, RATE_HZ, (seq) => writeSync(fd, line(seq, CHANNELS)));
    closeSync(fd);
    scraping = false;
    await scraper;
    const arrivals = new Map(await page.evaluate(() => (window as unknown as { arrivals: Array<[number, number]> }).arrivals));
    const finalised = (gateway.logs() as unknown as LogLine[]).filter((l) => l.msg === "incident record finalised");
    if (finalised.length !== FIRINGS) throw new Error(`expected ${FIRINGS} records, the gateway finalised ${finalised.length}`);
    const windows = finalised.map((l) => [l.time - l.ms!, l.time] as const);
    const inAssembly = (t: number) => windows.some(([a, b]) => t >= a && t <= b);
    const during: number[] = [];
    const outside: number[] = [];
    for (const [seq, t] of sent) {
      const got = arrivals.get(seq);
      if (got !== undefined) (inAssembly(t) ? during : outside).push(got - t);
    }
    // A scrape covers the 200 ms before it.
    const lagDuring = lag.filter(([t]) => windows.some(([a, b]) => t >= a && t - 200 <= b + 200)).map(([, v]) => v);
    const lagOutside = lag.filter(([t]) => !windows.some(([a, b]) => t >= a && t - 200 <= b + 200)).map(([, v]) => v).sort((a, b) => a - b);
    outside.sort((a, b) => a - b);
    return {
      telemetryBeforeS,
      records: finalised.map((l) => ({ ms: l.ms!, bytes: l.bytes!, blocks: l.blocks!, files: l.files!, historyMs: l.historyMs!, buildMs: l.buildMs! })),
      latency: { during, outside: { p50: percentile(outside, 50), p99: percentile(outside, 99), max: outside.at(-1)!, samples: outside.length } },
      lagMs: { during: lagDuring, outside: { p50: percentile(lagOutside, 50), p99: percentile(lagOutside, 99), max: lagOutside.at(-1)! } },
      rssMb: { before: rssBefore, peak: Math.max(...rss) },
    };
  } finally {
    scraping = false;
    await scraper.catch(() => undefined);
    await page.close();
    await gateway.stop();
    await pair.unplug();
  }
}

const f1 = (v: number) => v.toFixed(1);

export function printIncidentCost(r: IncidentCostRun): void {
  for (const [i, rec] of r.records.entries()) console.log(`incident record ${i + 1}: ${rec.files} files, ${(rec.bytes / 1e6).toFixed(2)} MB, ${rec.blocks} blocks, assembled in ${rec.ms} ms (longest channel's history ${rec.historyMs} ms, building the files ${rec.buildMs} ms)`);
  console.log(`telemetry latency while assembling: ${r.latency.during.map(f1).join(", ")} ms; otherwise p50 ${f1(r.latency.outside.p50)}, p99 ${f1(r.latency.outside.p99)}, max ${f1(r.latency.outside.max)} ms (${r.latency.outside.samples} samples)`);
  console.log(`event-loop delay max per 200 ms while assembling: ${r.lagMs.during.map(f1).join(", ")} ms; otherwise p50 ${f1(r.lagMs.outside.p50)}, p99 ${f1(r.lagMs.outside.p99)}, max ${f1(r.lagMs.outside.max)} ms; RSS ${r.rssMb.before.toFixed(0)} → peak ${r.rssMb.peak.toFixed(0)} MB`);
}

export function incidentCostSection(r: IncidentCostRun): string {
  const ms = r.records.map((x) => x.ms);
  const sorted = [...r.latency.during].sort((a, b) => a - b);
  return `## Incident records in the live gateway

The gateway with a 20-channel serial board at ${RATE_HZ} Hz, the simulated machine's 32×24 camera at
8 frames/s and its microphone, and ${FIRINGS} alerts firing ${SPACING_S} s apart. Each record holds ${r.telemetryBeforeS} s
of the board's 20 channels before the moment and 5 s after (the default is 10 minutes before; this
run is shorter to stay a few minutes long), 30 s of frames before and 5 s after at one a second,
10 s of sound before and 5 s after, a still and a spectrogram, and is assembled 5.5 s after its
alert fired. Meanwhile a Chromium viewer receives the board's samples unbatched
(\`webrtc.telemetryBatch: 0\`, where a stall would show first), and /metrics is read every 200 ms
for the event-loop delay. The baseline is the rest of the same run.

| record | files | size | blocks | assembled in | longest channel's history | building the files |
|---|---:|---:|---:|---:|---:|---:|
${r.records.map((x, i) => `| ${i + 1} | ${x.files} | ${(x.bytes / 1e6).toFixed(2)} MB | ${x.blocks} | ${x.ms} ms | ${x.historyMs} ms | ${x.buildMs} ms |`).join("\n")}

| while | telemetry latency, ms | event-loop delay (max per 200 ms), ms |
|---|---|---|
| a record is assembled (${sorted.length} samples) | median ${f1(percentile(sorted, 50))}, max ${f1(sorted.at(-1) ?? Number.NaN)} | ${r.lagMs.during.map(f1).join(", ")} |
| otherwise (${r.latency.outside.samples} samples) | p50 ${f1(r.latency.outside.p50)}, p99 ${f1(r.latency.outside.p99)}, max ${f1(r.latency.outside.max)} | p50 ${f1(r.lagMs.outside.p50)}, p99 ${f1(r.lagMs.outside.p99)}, max ${f1(r.lagMs.outside.max)} |

- Assembly: ${Math.min(...ms)}–${Math.max(...ms)} ms per record, with the event loop free between its steps: each
  channel's history, each clip, every 256 KiB of the UnixFS import, each block written. The still
  and the spectrogram are drawn on a worker thread that starts with a record's first picture and
  ends 30 s after its last (here the records came 20 s apart, so its start-up is in the first
  record's "building the files": the clips, the pictures, the frames' files and the manifest).
- The event-loop delay comes from prom-client's histogram with its 10 ms resolution: about 10.8 ms is
  its floor, not a delay.
- Gateway RSS ${r.rssMb.before.toFixed(0)} MB when the board started, at most ${r.rssMb.peak.toFixed(0)} MB over the run (pre-roll
  rings, history, the records, and the threads that draw the pictures and read the history while they run).`;
}
