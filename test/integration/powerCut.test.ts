import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { ADMIN_PASSWORD, GatewayProcess } from "../helpers/gateway.js";
import { freePort } from "../helpers/ports.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The gateway killed with SIGKILL at random moments while it writes history, alert state and
 * sign-ins: the process dies mid-write, as on a power cut (the kernel's page cache survives a kill,
 * not a real power loss; SQLite's WAL with synchronous=NORMAL is what keeps the file whole there).
 */
describe("killed again and again while writing (kill -9 at random moments)", () => {
  it("starts every time, keeps everything committed before each kill, and its database stays whole", async () => {
    const port = await freePort();
    const gw = new GatewayProcess({
      http: { host: "127.0.0.1", port },
      history: { rawInterval: 0, flushInterval: "300ms" },
      sources: [{ id: "sim", type: "simulated", rateHz: 50, thermalFps: 0, microphone: false, scenario: "overheat" }],
      alerts: { rules: [{ id: "warm", channels: ["spindle.bearing"], when: { above: 30, clear: 29 } }] },
    });
    const file = join(gw.dataDir, "wachter.db");
    const count = () => {
      const db = new Database(file, { readonly: true });
      try {
        return (db.prepare("SELECT coalesce(sum(n), 0) AS n FROM history_blocks").get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    let kept = 0;
    for (let i = 0; i < 8; i++) {
      await gw.start();
      const lived = 600 + Math.random() * 1800;
      // Sign in somewhere in the middle: sessions.json is rewritten then.
      await sleep(Math.random() * lived);
      await fetch(`http://127.0.0.1:${port}/api/login`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ username: "admin", password: ADMIN_PASSWORD }) }).catch(() => undefined);
      await sleep(lived / 2);
      await gw.stop("SIGKILL");
      const now = count();
      expect(now, `after kill ${i + 1}`).toBeGreaterThanOrEqual(kept);
      kept = now;
    }
    expect(kept).toBeGreaterThan(500);
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
      for (const row of db.prepare("SELECT record FROM alerts").all() as Array<{ record: string }>) expect(() => JSON.parse(row.record)).not.toThrow();
    } finally {
      db.close();
    }
    // And once more, to show it still starts and serves after the last cut.
    await gw.start();
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    await gw.stop();
  }, 120_000);
});
