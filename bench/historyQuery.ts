import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { encodeBlock, type ChannelSamples } from "../gateway/history/blocks.js";
import { HistoryStore, type ReadStoredSeries } from "../gateway/history/historyStore.js";
import { historySchema } from "../gateway/history/schema.js";
import type { seriesReader as Reader } from "../gateway/history/series.js";
import { openDatabase } from "../gateway/storage/db.js";
import { StorageHealth } from "../gateway/storage/health.js";
import { ROOT } from "../test/helpers/gateway.js";
import { quietLog as quiet } from "../test/helpers/sinkRecorder.js";
import { median } from "./stats.js";

const DAY = 86_400_000;
const CHANNELS = 50;

export interface HistoryQueryCase {
  name: string;
  points: number;
  /** Medians over the repetitions: the query's time, and the longest the event loop was held meanwhile. */
  readerMs: number;
  readerLagMaxMs: number;
  inlineMs: number;
  inlineLagMaxMs: number;
}

/** A plant's history file: 50 channels at 1 Hz, a block every 30 s for 24 h (the defaults), and 90 days of per-minute aggregates. */
function fixture(now: number): string {
  const file = join(mkdtempSync(join(tmpdir(), "wachter-hq-")), "wachter.db");
  const db = openDatabase(file);
  const channel = db.prepare("INSERT INTO channels (name) VALUES (?)");
  const block = db.prepare("INSERT INTO history_blocks (start_ts, end_ts, n, data) VALUES (?, ?, ?, ?)");
  const minute = db.prepare("INSERT INTO minutes (channel, minute, min, max, sum, count) VALUES (?, ?, ?, ?, ?, 60)");
  const value = (c: number, t: number) => 40 + 10 * Math.sin(t / 3_600_000 + c);
  db.transaction(() => {
    for (let c = 1; c <= CHANNELS; c++) channel.run(`line1.machine${c}.spindle.bearing.temperature`);
    for (let t0 = now - DAY; t0 < now; t0 += 30_000) {
      const samples = new Map<number, ChannelSamples>();
      const ts = Array.from({ length: 30 }, (_, i) => t0 + i * 1000);
      for (let c = 1; c <= CHANNELS; c++) samples.set(c, { ts, values: ts.map((t) => value(c, t)) });
      block.run(t0, ts.at(-1)!, ts.length * CHANNELS, encodeBlock({ samples, minutes: [] }));
    }
    for (let c = 1; c <= CHANNELS; c++) {
      for (let m = Math.floor((now - 90 * DAY) / 60_000); m < now / 60_000; m++) {
        const v = value(c, m * 60_000);
        minute.run(c, m, v - 0.5, v + 0.5, v * 60);
      }
    }
  })();
  db.close();
  return file;
}

async function timed(store: HistoryStore, from: number, to: number, step: number): Promise<{ ms: number; lagMaxMs: number; points: number }> {
  const lag = monitorEventLoopDelay({ resolution: 1 });
  lag.enable();
  // The histogram sees the event loop before and after the query too.
  await new Promise((r) => setTimeout(r, 20));
  const t0 = performance.now();
  const points = (await store.query("line1.machine7.spindle.bearing.temperature", from, to, step)).length;
  const ms = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 20));
  lag.disable();
  return { ms, lagMaxMs: lag.max / 1e6, points };
}


/** The widest queries a viewer may ask of /api/history, through the built history reader (as the gateway runs it) and, as the baseline, on this thread. */
export async function historyQueries(repeats = 5): Promise<HistoryQueryCase[]> {
  const { seriesReader } = (await import(pathToFileURL(join(ROOT, "dist/gateway/history/series.js")).href)) as { seriesReader: typeof Reader };
  const now = Date.now();
  const file = fixture(now);
  const db = openDatabase(file);
  const reader = seriesReader(file);
  const viaReader: ReadStoredSeries = (job) => reader.run(job);
  const config = historySchema.parse({});
  const health = new StorageHealth(quiet);
  const stores = { reader: new HistoryStore(db, config, quiet, health, () => now, viaReader), inline: new HistoryStore(db, config, quiet, health, () => now) };
  const cases: Array<[string, number, number]> = [
    ["6 h of raw samples, a point every 2 s", 6 * 3_600_000, 2000],
    ["90 days of per-minute aggregates, a point every 7 min", 90 * DAY, 420_000],
  ];
  const out: HistoryQueryCase[] = [];
  for (const [name, span, step] of cases) {
    await timed(stores.reader, now - span, now, step); // the worker started, as on a gateway that answered one before
    const runs = { reader: [] as Awaited<ReturnType<typeof timed>>[], inline: [] as Awaited<ReturnType<typeof timed>>[] };
    for (let i = 0; i < repeats; i++) for (const k of ["reader", "inline"] as const) runs[k].push(await timed(stores[k], now - span, now, step));
    out.push({
      name,
      points: runs.reader[0].points,
      readerMs: median(runs.reader.map((r) => r.ms)),
      readerLagMaxMs: median(runs.reader.map((r) => r.lagMaxMs)),
      inlineMs: median(runs.inline.map((r) => r.ms)),
      inlineLagMaxMs: median(runs.inline.map((r) => r.lagMaxMs)),
    });
  }
  reader.close();
  db.close();
  return out;
}

export function historyQuerySection(cases: HistoryQueryCase[], repeats: number): string {
  const rows = cases.map((c) => `| ${c.name} | ${c.points} | ${c.readerMs.toFixed(0)} | **${c.readerLagMaxMs.toFixed(1)}** | ${c.inlineMs.toFixed(0)} | ${c.inlineLagMaxMs.toFixed(1)} | ${(c.readerLagMaxMs / c.inlineLagMaxMs).toFixed(2)} |`).join("\n");
  return `## History queries: the event loop while a wide range is read

The widest ranges a viewer may ask of \`/api/history\` for one channel, from a history file shaped
like a plant's (${CHANNELS} channels at 1 Hz in a block every 30 s for 24 h, and 90 days of per-minute
aggregates: the defaults), through the built history reader as the gateway runs it (a worker thread
reads the file; the gateway's thread merges what is not written yet). Baseline: the same query read
on the gateway's own thread, as before the reader. Event-loop delay from \`monitorEventLoopDelay\`
(1 ms resolution); medians of ${repeats} queries each, in turns.

| query | points | reader, ms | event loop held at most, ms | own thread, ms | held at most, ms | ratio held |
|---|---:|---:|---:|---:|---:|---:|
${rows}`;
}
