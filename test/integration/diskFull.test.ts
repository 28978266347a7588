import { appendFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_PASSWORD, API_TOKEN, GatewayProcess } from "../helpers/gateway.js";
import { freePort, waitFor } from "../helpers/ports.js";
import { SmallDisk } from "../helpers/smallDisk.js";
import { PtyPair } from "../helpers/socat.js";

/** The data directory on a small tmpfs of its own (needs root, as the namespace tests do). */
describe("a full disk (dataDir on a 4 MiB tmpfs)", () => {
  const disk = new SmallDisk();
  const pair = new PtyPair();
  const hookEvents: string[] = [];
  let hook: Server;
  let gateway: GatewayProcess;
  let base: string;
  const api = async (path: string) => {
    const res = await fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${API_TOKEN}` } });
    return { status: res.status, body: (await res.json()) as never };
  };
  const send = (t: number) => appendFile(pair.board, `t=${t}\n`);

  beforeAll(async () => {
    disk.mount();
    await pair.start();
    hook = createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        const n = JSON.parse(body);
        hookEvents.push(`${n.event}:${n.alert?.value}`);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    gateway = new GatewayProcess({
      dataDir: join(disk.path, "data"),
      http: { host: "127.0.0.1", port },
      history: { rawInterval: 0, flushInterval: "200ms" },
      sources: [{ id: "board", type: "serial", path: pair.device, format: { type: "kv" }, fields: { t: { channel: "press" }, n: { channel: "fresh" } } }],
      alerts: { rules: [{ id: "hot", channels: ["press"], severity: "critical", when: { above: 80, clear: 75 } }] },
      notify: { webhooks: [{ name: "pager", url: `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`, timeout: "2s" }] },
    });
    await gateway.start();
    await waitFor("the board up", async () => (await api("/readyz")).status === 200);
  });

  afterAll(async () => {
    await gateway?.stop();
    hook?.close();
    await pair.unplug();
    disk.unmount();
  });

  it("goes on alerting with the disk full, says so in /readyz and the metrics, and crashes nothing", async () => {
    await send(20);
    await waitFor("the first reading stored", async () => ((await api("/api/history?channel=press&from=now-1m&to=now&step=1s")).body as { points: unknown[] }).points.length > 0);
    // The 20, the 21.x and the 90 each get a 100 ms bucket of their own in the second test, however
    // fast the disk fills (it may take a single flush).
    await sleep(300);
    disk.fill();
    // A channel first seen with the disk full has no row in the database yet.
    await appendFile(pair.board, "n=5\n");
    // Readings keep coming; SQLite reuses the room its write-ahead log has, so it takes a while
    // until a batch of history needs a page more than there is.
    let last: unknown;
    const ready = await waitFor("readyz to report the failing writer", async () => {
      await appendFile(pair.board, Array.from({ length: 200 }, (_, i) => `t=${(21 + i / 200).toFixed(3)}\n`).join(""));
      const r = await api("/readyz");
      last = r.body;
      return r.status === 503 && (r.body as { storage: Array<{ writer: string }> }).storage.some((f) => f.writer === "history") ? r : undefined;
    }, 60_000, 100).catch((err) => {
      const df = disk.df();
      const logs = gateway.logs().filter((l) => l.level >= 40).slice(-5).map((l) => l.msg);
      throw new Error(`${(err as Error).message}; readyz ${JSON.stringify(last)}; ${df}; ${gateway.logs().length} log lines, last warnings ${JSON.stringify(logs)}`);
    });
    expect((ready.body as { storage: Array<{ writer: string; error: string }> }).storage.find((f) => f.writer === "history")!.error).toMatch(/full/);
    await sleep(300);
    await send(90);
    await waitFor("the alert firing", async () => ((await api("/api/alerts")).body as Array<{ state: string }>)[0]?.state === "firing");
    const metrics = await (await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${API_TOKEN}` } })).text();
    expect(metrics).toMatch(/wachter_storage_write_failing\{writer="history"\} 1/);
    expect(metrics).toMatch(/wachter_storage_write_failing\{writer="alert state"\} 1/);
    // Signing in still works; only the session file waits.
    const login = await fetch(`${base}/api/login`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ username: "admin", password: ADMIN_PASSWORD }) });
    expect(login.status).toBe(200);
    expect(gateway.proc!.running).toBe(true);
    // Each writer's failure is logged once, not once per retry.
    await sleep(1500);
    const failures = gateway.logs().filter((l) => l.msg === "cannot write history to the database; keeping it in memory and retrying");
    expect(failures).toHaveLength(1);
    // The pager hears of it all the same: a notification that cannot be stored is sent from memory.
    await waitFor("the notification delivered though the disk is full", () => hookEvents.includes("firing:90"), 10_000);
  }, 120_000);

  it("writes everything it kept once space returns: history and the alert's transition, and sends no notification twice", async () => {
    disk.free();
    const again = await waitFor("every writer writing again", async () => {
      const r = await api("/readyz");
      return (r.body as { storage: unknown[] }).storage.length === 0 ? r : undefined;
    }, 10_000);
    expect(again.status).toBe(200);
    await sleep(1500);
    expect(hookEvents.filter((e) => e === "firing:90")).toHaveLength(1);
    const events = (await api("/api/alerts/hot~press/events")).body as Array<{ to_state: string }>;
    expect(events.map((e) => e.to_state)).toContain("firing");
    // The 21.x kept in memory are there: a 100 ms bucket of them alone, or, when the gateway read
    // them late, one they share with the 20 before them (its max is a 21.x then) or with the 90
    // after them (its min is). The 20 and the 90 were read over 600 ms apart, so no bucket holds both.
    const { body } = await api(`/api/history?channel=press&from=now-5m&to=now&step=100ms`);
    const points = (body as { points: Array<{ min: number; max: number }> }).points;
    expect(points.map((p) => p.max)).toContain(90);
    const is21 = (v: number) => v >= 21 && v < 22;
    expect(points.some((p) => is21(p.min) || is21(p.max)), `no 21.x among ${points.length} points: ${JSON.stringify(points.slice(0, 20))}`).toBe(true);
    const fresh = (await api(`/api/history?channel=fresh&from=now-5m&to=now&step=100ms`)).body as { points: Array<{ max: number }> };
    expect(fresh.points.map((p) => p.max)).toEqual([5]);
    await gateway.logged("writing history to the database works again");
  });
});
