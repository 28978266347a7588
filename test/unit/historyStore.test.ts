import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { HistoryStore } from "../../gateway/history/historyStore.js";
import { historySchema } from "../../gateway/history/schema.js";
import { openDatabase, type Db } from "../../gateway/storage/db.js";
import type { Logger } from "../../common/logger.js";
import { StorageHealth } from "../../gateway/storage/health.js";

const stored = (db: Db) => (db.prepare("SELECT coalesce(sum(n), 0) n FROM history_blocks").get() as { n: number }).n;
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const T0 = Date.UTC(2026, 10, 24, 10, 0, 0);

function setup(config: object = {}, file = join(mkdtempSync(join(tmpdir(), "wachter-hist-")), "h.db")) {
  let now = T0 + 3_600_000;
  const db = openDatabase(file);
  const store = new HistoryStore(db, historySchema.parse(config), quiet, new StorageHealth(quiet), () => now);
  const feed = (channel: string, ts: number, value: number) => store.onHubEvent({ type: "reading", channel, ts, value, rx: ts });
  return { db, store, file, feed, setNow: (t: number) => (now = t) };
}

describe("history store (SQLite)", () => {
  it("keeps at most one raw sample per rawInterval and exact per-minute aggregates", async () => {
    const h = setup({ rawInterval: "1s" });
    for (let i = 0; i < 600; i++) h.feed("a", T0 + i * 100, i % 10); // 10 Hz for 60 s
    h.store.flush();
    expect(stored(h.db)).toBe(60);
    const minute = await h.store.query("a", T0, T0 + 60_000, 60_000);
    expect(minute).toEqual([{ t: T0, mean: 4.5, min: 0, max: 9 }]);
    const raw = await h.store.query("a", T0, T0 + 10_000, 5000);
    expect(raw.map((p) => p.t)).toEqual([T0, T0 + 5000]);
  });

  it("merges minute aggregates written in several batches and across a reopen", async () => {
    const h = setup({ rawInterval: 0 });
    h.feed("a", T0 + 1000, 10);
    h.store.flush();
    h.db.close();
    const again = setup({ rawInterval: 0 }, h.file);
    again.feed("a", T0 + 2000, 20);
    again.feed("a", T0 + 3000, 30);
    again.store.flush();
    expect(await again.store.query("a", T0, T0 + 60_000, 60_000)).toEqual([{ t: T0, mean: 20, min: 10, max: 30 }]);
  });

  it("applies retention to raw samples and aggregates", async () => {
    const h = setup({ rawInterval: 0, rawRetention: "1h", aggregateRetention: "3h" });
    for (const [ts, v] of [[T0 - 3 * 3_600_000, 1], [T0 - 90 * 60_000, 2], [T0 + 10, 3]]) {
      h.feed("a", ts, v);
      h.store.flush();
    }
    h.store.applyRetention();
    // Blocks whose minutes are not in the minutes table yet stay.
    expect(stored(h.db)).toBe(3);
    h.store.flush({ minutes: true });
    h.store.applyRetention();
    expect(stored(h.db)).toBe(1);
    expect((await h.store.query("a", T0, T0 + 1000, 1000)).map((p) => p.mean)).toEqual([3]);
    expect((h.db.prepare("SELECT sum FROM minutes ORDER BY minute").all() as Array<{ sum: number }>).map((r) => r.sum)).toEqual([2, 3]);
  });

  it("rebuilds the minutes exactly after a power cut from the blocks, though raw samples are decimated", async () => {
    const h = setup({ rawInterval: "1s" });
    for (let i = 0; i < 600; i++) h.feed("a", T0 + i * 100, i % 10);
    h.store.flush();
    // Killed here: the minutes table was never written, only blocks.
    expect((h.db.prepare("SELECT count(*) n FROM minutes").get() as { n: number }).n).toBe(0);
    const again = setup({ rawInterval: "1s" }, h.file);
    expect(await again.store.query("a", T0, T0 + 60_000, 60_000)).toEqual([{ t: T0, mean: 4.5, min: 0, max: 9 }]);
    again.store.flush({ minutes: true });
    const third = setup({ rawInterval: "1s" }, h.file);
    expect(await third.store.query("a", T0, T0 + 60_000, 60_000)).toEqual([{ t: T0, mean: 4.5, min: 0, max: 9 }]);
  });

  it("appends one block per flush, whatever the number of channels, and answers from what is not written yet", async () => {
    const h = setup({ rawInterval: 0 });
    for (const c of ["a", "b", "c"]) h.feed(c, T0 + 500, 1);
    expect(await h.store.query("b", T0, T0 + 1000, 1000)).toEqual([{ t: T0, mean: 1, min: 1, max: 1 }]);
    h.store.flush();
    for (const c of ["a", "b", "c"]) h.feed(c, T0 + 1500, 2);
    h.store.flush();
    expect((h.db.prepare("SELECT count(*) n FROM history_blocks").get() as { n: number }).n).toBe(2);
    expect((await h.store.query("b", T0, T0 + 2000, 1000)).map((p) => p.mean)).toEqual([1, 2]);
  });

  it("moves samples stored one row each (before blocks) into blocks, losing none", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "wachter-hist-")), "old.db");
    const old = new Database(file);
    old.exec(`CREATE TABLE channels (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
      CREATE TABLE samples (channel INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL NOT NULL);
      CREATE TABLE minutes (channel INTEGER NOT NULL, minute INTEGER NOT NULL, min REAL NOT NULL, max REAL NOT NULL,
                            sum REAL NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (channel, minute)) WITHOUT ROWID;
      CREATE TABLE clock_jumps (at INTEGER NOT NULL, delta_ms INTEGER NOT NULL);
      INSERT INTO channels (name) VALUES ('a'), ('b');
      PRAGMA user_version = 3;`);
    const insert = old.prepare("INSERT INTO samples VALUES (?, ?, ?)");
    old.transaction(() => {
      for (let i = 0; i < 12_000; i++) insert.run(1 + (i % 2), T0 + i * 10, i);
    })();
    old.close();
    const h = setup({ rawInterval: 0 }, file);
    expect(stored(h.db)).toBe(12_000);
    expect((h.db.prepare("SELECT count(*) n FROM history_blocks").get() as { n: number }).n).toBe(3);
    const b = await h.store.query("b", T0, T0 + 120_000, 30_000);
    expect(b.map((p) => [p.min, p.mean, p.max])).toEqual([[1, 1500, 2999], [3001, 4500, 5999], [6001, 7500, 8999], [9001, 10_500, 11_999]]);
  });

  it("answers ranges over 6 h from the per-minute aggregates, whatever the step", async () => {
    const h = setup({ rawInterval: 0 });
    h.feed("a", T0 + 30_000, 7);
    expect((await h.store.query("a", T0 - 3_600_000, T0 + 60_000, 30_000)).map((p) => p.t)).toEqual([T0 + 30_000]);
    expect((await h.store.query("a", T0 - 6 * 3_600_000, T0 + 60_000, 30_000)).map((p) => p.t)).toEqual([T0]);
  });

  it("refuses queries that would return too many points", async () => {
    const h = setup();
    h.feed("a", T0, 1);
    await expect(h.store.query("a", T0, T0 + 86_400_000, 1)).rejects.toThrow(/larger step/);
    expect(await h.store.query("unknown", T0, T0 + 1000, 100)).toEqual([]);
  });
});
