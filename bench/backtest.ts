import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { backtest as replay } from "../gateway/alerts/backtest.js";
import type { BacktestRunner as Runner } from "../gateway/alerts/backtestRunner.js";
import { ruleSchema } from "../gateway/alerts/schema.js";
import { encodeBlock } from "../gateway/history/blocks.js";
import { openDatabase } from "../gateway/storage/db.js";
import { ROOT } from "../test/helpers/gateway.js";

const DAY = 86_400_000;
const info = { id: "spindle.bearing", name: "Spindle bearing", unit: "°C", source: "sim", staleAfterMs: 10_000 };
// A warm-up and load cycle with a few excursions above 80 °C, like the simulated machine's.
const temperature = (t: number) => 60 + 15 * Math.sin((2 * Math.PI * t) / (4 * 3_600_000)) + (t % (7 * 3_600_000) < 120_000 ? 25 : 0) + Math.sin(t / 7919) * 0.5;
const rule = ruleSchema.parse({ id: "bearing-hot", channels: ["spindle.bearing"], when: { above: 80, clear: 75 }, for: "3s", clearFor: "10s" });

export interface BacktestCase {
  name: string;
  samples: number;
  workerMs: number;
  lagP99Ms: number;
  lagMaxMs: number;
  /** The same replay on the main thread, as a baseline: its time and the lag it would cause. */
  inlineMs: number;
  inlineLagMaxMs: number;
  firings: number;
}

/** 24 h of raw 1 Hz samples and 90 days of per-minute aggregates, in a history file shaped like the gateway's. */
function fixture(now: number): string {
  const file = join(mkdtempSync(join(tmpdir(), "wachter-bt-")), "wachter.db");
  const db = openDatabase(file);
  db.prepare("INSERT INTO channels (name) VALUES (?)").run(info.id);
  const block = db.prepare("INSERT INTO history_blocks (start_ts, end_ts, n, data) VALUES (?, ?, ?, ?)");
  const minute = db.prepare("INSERT INTO minutes (channel, minute, min, max, sum, count) VALUES (1, ?, ?, ?, ?, 60)");
  db.transaction(() => {
    // One block per minute, as the gateway appends them (it flushes more often; the reader is the same).
    for (let t0 = now - DAY; t0 < now; t0 += 60_000) {
      const ts = Array.from({ length: 60 }, (_, i) => t0 + i * 1000).filter((t) => t < now);
      block.run(t0, ts.at(-1)!, ts.length, encodeBlock({ samples: new Map([[1, { ts, values: ts.map(temperature) }]]), minutes: [] }));
    }
    for (let m = Math.floor((now - 90 * DAY) / 60_000); m < now / 60_000; m++) {
      const v = temperature(m * 60_000);
      minute.run(m, v - 0.5, v + 0.5, v * 60);
    }
  })();
  db.close();
  return file;
}

async function measure(name: string, runner: Runner, from: number, to: number, series: { ts: number[]; values: number[] }, rawFrom: number): Promise<BacktestCase> {
  const lag = monitorEventLoopDelay({ resolution: 1 });
  lag.enable();
  const t0 = performance.now();
  const r = await runner.run(rule, [info], from, to);
  const workerMs = performance.now() - t0;
  lag.disable();
  const inlineLag = monitorEventLoopDelay({ resolution: 1 });
  inlineLag.enable();
  // Let the histogram see the event loop before and after the blocking replay.
  await new Promise((res) => setTimeout(res, 20));
  const t1 = performance.now();
  replay(rule, [{ info, ...series }], from, to, rawFrom);
  const inlineMs = performance.now() - t1;
  await new Promise((res) => setTimeout(res, 20));
  inlineLag.disable();
  return { name, samples: r.samples, workerMs, lagP99Ms: lag.percentile(99) / 1e6, lagMaxMs: lag.max / 1e6, inlineMs, inlineLagMaxMs: inlineLag.max / 1e6, firings: r.firings };
}

/** Backtests as the gateway runs them (the built worker, as production), with the event loop watched meanwhile. */
export async function backtests(): Promise<BacktestCase[]> {
  const { BacktestRunner } = (await import(pathToFileURL(join(ROOT, "dist/gateway/alerts/backtestRunner.js")).href)) as { BacktestRunner: typeof Runner };
  const now = Date.now();
  const file = fixture(now);
  const runner = new BacktestRunner(file, { flush() {}, rawRetention: DAY, rawInterval: 1000 }, () => now);
  // What the worker reads: per-minute values before the raw retention (from the next whole minute), raw samples after.
  const rawFrom = Math.ceil((now - DAY) / 60_000) * 60_000;
  const raw = { ts: [] as number[], values: [] as number[] };
  for (let t = now - DAY + 1000; t < now; t += 1000) {
    if (t < rawFrom) continue;
    raw.ts.push(t);
    raw.values.push(temperature(t));
  }
  const mixed = { ts: [] as number[], values: [] as number[] };
  for (let m = Math.floor((now - 90 * DAY) / 60_000); m < rawFrom / 60_000; m++) {
    mixed.ts.push(m * 60_000);
    mixed.values.push(temperature(m * 60_000) + 0.5);
  }
  mixed.ts.push(...raw.ts);
  mixed.values.push(...raw.values);
  // Warm the worker path once (module loading), as a gateway that has run one before.
  await runner.run(rule, [info], now - 3_600_000, now);
  const cases = [
    await measure("24 h raw (1 Hz)", runner, rawFrom, now, raw, rawFrom),
    await measure("90 days (per minute, the last 24 h raw)", runner, now - 90 * DAY, now, mixed, rawFrom),
  ];
  runner.close();
  return cases;
}

export function backtestSection(cases: BacktestCase[]): string {
  const rows = cases.map((c) => `| ${c.name} | ${c.samples} | ${c.firings} | **${c.workerMs.toFixed(0)}** | ${c.lagP99Ms.toFixed(1)} / ${c.lagMaxMs.toFixed(1)} | ${c.inlineMs.toFixed(0)} | ${c.inlineLagMaxMs.toFixed(0)} |`).join("\n");
  return `## Rule backtests

One rule (\`above: 80, clear: 75, for: 3s, clearFor: 10s\`) replayed by the alert engine over a history
file shaped like the gateway's, through the built worker as the gateway runs it. Event-loop lag is
measured on the gateway's thread meanwhile (\`monitorEventLoopDelay\`, 1 ms resolution). Baseline:
the same replay on the main thread, the way it would run without the worker. Targets: 24 h raw
under 1 s, lag p99 under 20 ms.

| range | samples | firings | worker, ms | lag p99 / max, ms | main thread, ms | its lag, ms |
|---|---:|---:|---:|---:|---:|---:|
${rows}`;
}
