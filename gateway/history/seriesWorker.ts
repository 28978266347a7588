import { workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import { serveJobs } from "../../common/idleWorker.js";
import { readStoredSeries, type StoredSeriesJob } from "./series.js";

// Its own read-only connection, kept while the thread lives: WAL lets it read beside the writer.
const db = new Database(workerData as string, { readonly: true, fileMustExist: true });
serveJobs((job: StoredSeriesJob) => readStoredSeries(db, job), (packed) => [packed.buffer as ArrayBuffer]);
