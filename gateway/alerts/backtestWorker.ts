import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import type { ChannelInfo } from "../../sensors/index.js";
import { backtest, type Series } from "./backtest.js";
import { conditionsOf, type Rule } from "./schema.js";

export interface BacktestJob {
  dbFile: string;
  rule: Rule;
  channels: ChannelInfo[];
  from: number;
  to: number;
  resolution: "raw" | "minute";
}

/** Reads the stored series from its own read-only connection (WAL lets it read beside the writer) and replays them. */
function run(job: BacktestJob) {
  const db = new Database(job.dbFile, { readonly: true, fileMustExist: true });
  try {
    const idOf = db.prepare<[string], { id: number }>("SELECT id FROM channels WHERE name = ?");
    const conditions = conditionsOf(job.rule).conditions;
    // One value per minute stands for the whole minute: the one the rule would notice first.
    const pick = conditions.every((c) => "above" in c) ? "max" : conditions.every((c) => "below" in c) ? "min" : "sum / count";
    const query =
      job.resolution === "raw"
        ? db.prepare("SELECT ts, value FROM samples WHERE channel = ? AND ts >= ? AND ts < ? ORDER BY ts")
        : db.prepare(`SELECT minute * 60000 AS ts, ${pick} AS value FROM minutes WHERE channel = ? AND minute >= ? AND minute < ? ORDER BY minute`);
    const series: Series[] = job.channels.map((info) => {
      const id = idOf.get(info.id)?.id;
      const ts: number[] = [];
      const values: number[] = [];
      if (id !== undefined) {
        const range = job.resolution === "raw" ? [job.from, job.to] : [Math.floor(job.from / 60_000), Math.ceil(job.to / 60_000)];
        for (const [t, v] of query.raw().iterate(id, ...range) as Iterable<[number, number]>) {
          ts.push(t);
          values.push(v);
        }
      }
      return { info, ts, values };
    });
    return job.resolution === "raw" ? backtest(job.rule, series, job.from, job.to, "raw", 0) : backtest(job.rule, series, job.from, job.to, "minute", 60_000, 60_000);
  } finally {
    db.close();
  }
}

parentPort!.postMessage(run(workerData as BacktestJob));
