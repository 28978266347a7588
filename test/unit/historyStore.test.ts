import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { HistoryStore } from "../../gateway/history/historyStore.js";
import { historySchema } from "../../gateway/history/schema.js";
import { openDatabase } from "../../gateway/storage/db.js";
import type { Logger } from "../../common/logger.js";
import { StorageHealth } from "../../gateway/storage/health.js";

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
  it("keeps at most one raw sample per rawInterval and exact per-minute aggregates", () => {
    const h = setup({ rawInterval: "1s" });
    for (let i = 0; i < 600; i++) h.feed("a", T0 + i * 100, i % 10); // 10 Hz for 60 s
    h.store.flush();
    expect((h.db.prepare("SELECT count(*) n FROM samples").get() as { n: number }).n).toBe(60);
    const minute = h.store.query("a", T0, T0 + 60_000, 60_000);
    expect(minute).toEqual([{ t: T0, mean: 4.5, min: 0, max: 9 }]);
    const raw = h.store.query("a", T0, T0 + 10_000, 5000);
    expect(raw.map((p) => p.t)).toEqual([T0, T0 + 5000]);
  });

  it("merges minute aggregates written in several batches and across a reopen", () => {
    const h = setup({ rawInterval: 0 });
    h.feed("a", T0 + 1000, 10);
    h.store.flush();
    h.db.close();
    const again = setup({ rawInterval: 0 }, h.file);
    again.feed("a", T0 + 2000, 20);
    again.feed("a", T0 + 3000, 30);
    again.store.flush();
    expect(again.store.query("a", T0, T0 + 60_000, 60_000)).toEqual([{ t: T0, mean: 20, min: 10, max: 30 }]);
  });

  it("applies retention to raw samples and aggregates", () => {
    const h = setup({ rawInterval: 0, rawRetention: "1h", aggregateRetention: "3h" });
    h.feed("a", T0 - 3 * 3_600_000, 1);
    h.feed("a", T0 - 90 * 60_000, 2);
    h.feed("a", T0 + 10, 3);
    h.store.flush();
    h.store.applyRetention();
    expect((h.db.prepare("SELECT value FROM samples ORDER BY ts").all() as Array<{ value: number }>).map((r) => r.value)).toEqual([3]);
    expect((h.db.prepare("SELECT sum FROM minutes ORDER BY minute").all() as Array<{ sum: number }>).map((r) => r.sum)).toEqual([2, 3]);
  });

  it("refuses queries that would return too many points", () => {
    const h = setup();
    h.feed("a", T0, 1);
    expect(() => h.store.query("a", T0, T0 + 86_400_000, 1)).toThrow(/larger step/);
    expect(h.store.query("unknown", T0, T0 + 1000, 100)).toEqual([]);
  });
});
