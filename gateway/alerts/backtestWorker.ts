import { workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import { serveJobs } from "../../common/idleWorker.js";
import { readRawSamples } from "../history/blocks.js";
import type { ChannelInfo } from "../../sensors/index.js";
import { backtest, minuteValue, type Series } from "./backtest.js";
import type { Rule } from "./schema.js";

export interface BacktestJob {
  rule: Rule;
  channels: ChannelInfo[];
  from: number;
  to: number;
  /** Where raw samples begin (a minute boundary): per-minute values before it. */
  rawFrom: number;
}

// Its own read-only connection, kept while the worker lives: WAL lets it read beside the writer.
const db = new Database(workerData as string, { readonly: true, fileMustExist: true });

/** Reads the stored series and replays them. */
function run(job: BacktestJob) {
  const idOf = db.prepare<[string], { id: number }>("SELECT id FROM channels WHERE name = ?");
  const pick = { highest: "max", lowest: "min", mean: "sum / count" }[minuteValue(job.rule)];
  const minutes = db.prepare(`SELECT minute * 60000 AS ts, ${pick} AS value FROM minutes WHERE channel = ? AND minute >= ? AND minute < ? ORDER BY minute`).raw();
  const rawFrom = Math.min(Math.max(job.rawFrom, job.from), job.to);
  const series: Series[] = job.channels.map((info) => {
    const id = idOf.get(info.id)?.id;
    const ts: number[] = [];
    const values: number[] = [];
    if (id !== undefined) {
      if (rawFrom > job.from) {
        for (const [t, v] of minutes.iterate(id, Math.floor(job.from / 60_000), Math.ceil(rawFrom / 60_000)) as Iterable<[number, number]>) {
          ts.push(t);
          values.push(v);
        }
      }
      if (rawFrom < job.to) {
        const raw = readRawSamples(db, id, rawFrom, job.to);
        for (let i = 0; i < raw.ts.length; i++) {
          ts.push(raw.ts[i]);
          values.push(raw.values[i]);
        }
      }
    }
    return { info, ts, values };
  });
  return backtest(job.rule, series, job.from, job.to, rawFrom);
}

serveJobs(run);
