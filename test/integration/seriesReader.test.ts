import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { WorkerBusyError, type IdleWorker } from "../../common/idleWorker.js";
import { HistoryStore } from "../../gateway/history/historyStore.js";
import { historySchema } from "../../gateway/history/schema.js";
import { seriesReader, type StoredSeriesJob } from "../../gateway/history/series.js";
import { openDatabase } from "../../gateway/storage/db.js";
import { StorageHealth } from "../../gateway/storage/health.js";
import { quietLog as quiet } from "../helpers/sinkRecorder.js";

// The worker runs as built (npm test builds first): the source tree has no seriesWorker.js.
const script = new URL("../../dist/gateway/history/seriesWorker.js", import.meta.url);
const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);
const threads: Array<IdleWorker<StoredSeriesJob, Float64Array>> = [];
afterEach(() => threads.splice(0).forEach((t) => t.close()));

/** A history file with 10 minutes of a 1 Hz channel "a" (its last 30 s not yet written) and, with `days`, that many days of its minutes. */
function plant(days = 0) {
  const file = join(mkdtempSync(join(tmpdir(), "wachter-series-")), "h.db");
  const db = openDatabase(file);
  const thread = seriesReader(file, script);
  threads.push(thread);
  const health = new StorageHealth(quiet);
  const config = historySchema.parse({});
  const inThread = new HistoryStore(db, config, quiet, health, () => NOW);
  const samples = Array.from({ length: 600 }, (_, s) => ({ ts: NOW - 600_000 + s * 1000, value: 40 + (s % 17) }));
  samples.forEach(({ ts, value }, s) => {
    inThread.onHubEvent({ type: "reading", channel: "a", ts, value, rx: ts });
    if (s % 30 === 29 && s < 570) inThread.flush();
  });
  // The other store reads what the first wrote when it opens; the unwritten tail it is given.
  const onThread = new HistoryStore(db, config, quiet, health, () => NOW, (job) => thread.run(job));
  for (const { ts, value } of samples.slice(570)) onThread.onHubEvent({ type: "reading", channel: "a", ts, value, rx: ts });
  if (days) {
    const id = (db.prepare("SELECT id FROM channels WHERE name = 'a'").get() as { id: number }).id;
    const insert = db.prepare("INSERT INTO minutes (channel, minute, min, max, sum, count) VALUES (?, ?, ?, ?, ?, ?)");
    const first = Math.floor((NOW - days * 86_400_000) / 60_000);
    db.transaction(() => {
      for (let m = first; m < Math.floor((NOW - 600_000) / 60_000); m++) insert.run(id, m, 30 + (m % 5), 50 + (m % 7), 2400 + (m % 11), 60);
    })();
  }
  return { db, thread, inThread, onThread };
}

it("answers as the gateway's own thread does: raw samples, minutes, and what is not written yet", async () => {
  const p = plant(3);
  for (const [from, to, step] of [[NOW - 600_000, NOW, 1000], [NOW - 300_000, NOW, 7000], [NOW - 3 * 86_400_000, NOW, 600_000], [NOW - 86_400_000, NOW, 60_000]]) {
    const expected = await p.inThread.query("a", from, to, step);
    expect(expected.length).toBeGreaterThan(10);
    expect(await p.onThread.query("a", from, to, step)).toEqual(expected);
  }
});

/** Keeps the thread busy reading 90 days of minutes, so that what is asked next is read after what the test does meanwhile. */
const busy = (p: ReturnType<typeof plant>) => p.thread.run({ kind: "minutes", channel: 1, fromMin: Math.floor((NOW - 90 * 86_400_000) / 60_000), toMin: Math.floor(NOW / 60_000), step: 60_000 });

// Steps whose buckets hold both written and unwritten readings: one counted twice would move their means.
it("loses and repeats nothing when the buffered samples are written while it reads", async () => {
  const p = plant(90);
  const expected = await p.inThread.query("a", NOW - 600_000, NOW, 20_000);
  expect(expected).toHaveLength(30);
  const before = busy(p);
  const reading = p.onThread.query("a", NOW - 600_000, NOW, 20_000);
  p.onThread.flush();
  await before;
  expect(await reading).toEqual(expected);
});

it("reads the minutes again when the pending ones are written into the table while it reads", async () => {
  const p = plant(90);
  const expected = await p.inThread.query("a", NOW - 86_400_000, NOW, 900_000);
  const before = busy(p);
  const reading = p.onThread.query("a", NOW - 86_400_000, NOW, 900_000);
  p.onThread.flush({ minutes: true });
  await before;
  expect(await reading).toEqual(expected);
});

it("keeps the event loop turning through a query of 90 days of minutes", async () => {
  const p = plant(90);
  let turns = 0;
  const ticking = setInterval(() => turns++, 1);
  const points = await p.onThread.query("a", NOW - 90 * 86_400_000, NOW, 420_000);
  clearInterval(ticking);
  expect(points.length).toBeGreaterThan(18_000);
  expect(turns).toBeGreaterThan(2);
});

it("refuses a ninth query while eight wait, and answers the eight", async () => {
  const p = plant(30);
  const job = { kind: "minutes", channel: 1, fromMin: Math.floor((NOW - 30 * 86_400_000) / 60_000), toMin: Math.floor(NOW / 60_000), step: 60_000 } as const;
  const eight = Array.from({ length: 8 }, () => p.thread.run(job));
  await expect(p.thread.run(job)).rejects.toThrow(WorkerBusyError);
  for (const packed of await Promise.all(eight)) expect(packed.length).toBe(5 * (30 * 1440 - 10));
});
