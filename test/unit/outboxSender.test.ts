import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { Outbox } from "../../gateway/notify/outbox.js";
import { OutboxSender } from "../../gateway/notify/sender.js";
import { openDatabase } from "../../gateway/storage/db.js";
import type { Logger } from "../../common/logger.js";
import { StorageHealth } from "../../gateway/storage/health.js";

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function setup() {
  const file = join(mkdtempSync(join(tmpdir(), "wachter-outbox-")), "o.db");
  const db = openDatabase(file);
  return { db, file, outbox: new Outbox(db, new StorageHealth(quiet)) };
}

describe("outbox sender", () => {
  it("delivers in order, removes an item only once delivered, and lets nothing overtake one waiting for a retry", async () => {
    const { outbox } = setup();
    const sent: string[] = [];
    const sender = new OutboxSender(outbox, "s", async (p) => {
      if (p === "b") throw new Error("refused");
      sent.push(p);
    }, quiet, 50, 60_000);
    for (const p of ["a", "b", "c"]) outbox.add("s", p);
    sender.kick();
    await vi.waitFor(() => expect(sender.failures).toBe(1));
    await sender.stop();
    expect(sent).toEqual(["a"]);
    expect(outbox.pending("s")).toBe(2);
    expect(sender.failures).toBe(1);
    expect(outbox.due("s", 10)).toEqual([]);
  });

  it("stops without touching the outbox again while a delivery is in flight, and that item survives a restart", async () => {
    const { db, file, outbox } = setup();
    outbox.add("s", "x");
    let started!: () => void;
    const inFlight = new Promise<void>((r) => (started = r));
    let release!: (err: Error) => void;
    const sender = new OutboxSender(outbox, "s", (_p, signal) => {
      started();
      return new Promise<void>((_, reject) => {
        release = reject;
        signal.addEventListener("abort", () => setTimeout(() => reject(new Error("connection closed")), 20));
      });
    }, quiet);
    const rejections: unknown[] = [];
    const onRejection = (err: unknown) => rejections.push(err);
    process.on("unhandledRejection", onRejection);
    try {
      sender.start(10);
      await inFlight;
      await sender.stop();
      db.close();
      release(new Error("late failure"));
      await new Promise((r) => setTimeout(r, 60));
      expect(rejections).toEqual([]);
    } finally {
      process.off("unhandledRejection", onRejection);
    }
    const reopened = new Outbox(openDatabase(file), new StorageHealth(quiet));
    expect(reopened.due("s", 10).map((i) => [i.payload, i.attempts])).toEqual([["x", 0]]);
  });

  it("while nothing can be written, sends new notifications from memory, hides delivered stored ones, and writes what is left once it can", () => {
    const { db, outbox } = setup();
    outbox.add("s", "a");
    outbox.add("s", "b");
    db.pragma("query_only = ON");
    outbox.add("s", "c");
    const [a, b, c] = outbox.due("s", 10);
    expect([a, b, c].map((i) => i.payload)).toEqual(["a", "b", "c"]);
    outbox.done(a.id);
    outbox.done(c.id);
    outbox.retryLater(b.id, 60_000);
    expect(outbox.due("s", 10)).toEqual([]);
    outbox.add("s", "d");
    // d may not overtake b, which waits for its retry.
    expect(outbox.due("s", 10)).toEqual([]);
    expect(outbox.pending("s")).toBe(2);
    db.pragma("query_only = OFF");
    outbox.retryWrites();
    expect(db.prepare("SELECT payload, attempts FROM outbox ORDER BY id").all()).toEqual([
      { payload: "b", attempts: 1 },
      { payload: "d", attempts: 0 },
    ]);
  });
});
