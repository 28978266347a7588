import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeWallClock } from "../helpers/faketime.js";
import { ADMIN_PASSWORD, API_TOKEN, GatewayProcess } from "../helpers/gateway.js";
import { freePort, waitFor } from "../helpers/ports.js";
import { PtyPair } from "../helpers/socat.js";

const HOUR = 3_600_000;

/**
 * The real gateway under libfaketime: its wall clock jumps by hours while it runs, as when NTP
 * arrives late on a Pi without a real-time clock or the clock is set back; its monotonic clock and
 * the test's keep running. Pending alerts, staleness, sessions and history must not notice.
 */
describe("the gateway when its wall clock jumps", () => {
  const pair = new PtyPair();
  const clock = new FakeWallClock();
  let gateway: GatewayProcess;
  let base: string;
  let cookie: string;
  let feeding: NodeJS.Timeout | undefined;
  let syncFile: string;

  const get = async <T,>(path: string, headers: Record<string, string> = { Authorization: `Bearer ${API_TOKEN}` }) => {
    const res = await fetch(`${base}${path}`, { headers });
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const alert = async () => (await get<Array<{ state: string; shelvedUntil: number | null }>>("/api/alerts"))[0];
  const metric = async (line: string) => (await (await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${API_TOKEN}` } })).text()).split("\n").find((l) => l.startsWith(line));
  /** The board prints `t=value` twice a second until told otherwise. */
  const feed = (value: number | undefined) => {
    clearInterval(feeding);
    if (value !== undefined) feeding = setInterval(() => void pair.send(`t=${value}\n`), 500);
  };
  /** Pending for `for: 10s`, then the jump: the alert fires 10 s after it went pending by the test's clock. */
  async function pendingThroughJump(offsetMs: number): Promise<number> {
    feed(90);
    await waitFor("alert pending", async () => (await alert())?.state === "pending", 10_000, 50);
    const pendingAt = performance.now();
    await new Promise((r) => setTimeout(r, 2000));
    clock.set(offsetMs);
    await waitFor("the gateway to notice the jump", async () => Math.abs((await get<{ clock: { now: number } }>("/api/status")).clock.now - Date.now() - offsetMs) < 5000, 5000);
    await waitFor("alert firing", async () => (await alert())?.state === "firing", 20_000, 100);
    return performance.now() - pendingAt;
  }

  beforeAll(async () => {
    await pair.start();
    const port = await freePort();
    gateway = new GatewayProcess({
      name: "Clock test",
      http: { host: "127.0.0.1", port },
      history: { rawInterval: 0, flushInterval: "1s" },
      sources: [{ id: "board", type: "serial", path: pair.device, format: { type: "kv" }, staleAfter: "3s", fields: { t: { channel: "bearing" } } }],
      alerts: { rules: [{ id: "hot", channels: ["bearing"], when: { above: 80, clear: 75 }, for: "10s" }] },
    });
    syncFile = join(gateway.dataDir, "..", "synchronized");
    gateway.env = { ...clock.env(), WACHTER_CLOCK_SYNC_FILE: syncFile };
    await gateway.start();
    base = `http://127.0.0.1:${port}`;
    const login = await fetch(`${base}/api/login`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ username: "admin", password: ADMIN_PASSWORD }) });
    cookie = login.headers.get("set-cookie")!.split(";")[0];
  }, 30_000);

  afterAll(async () => {
    feed(undefined);
    await gateway?.stop();
    await pair.unplug();
  });

  it("a pending alert with for: 10s fires on time when the clock jumps 13 h forward, and again when it jumps 16 h back", async () => {
    const forward = await pendingThroughJump(13 * HOUR);
    expect(forward).toBeGreaterThan(9500);
    expect(forward).toBeLessThan(14_000);
    // Signed in before the jump, with a 12 h session: the clock moved 13 h, time did not.
    expect((await get<{ name: string }>("/api/me", { Cookie: cookie })).name).toBe("admin");

    feed(70);
    await waitFor("alert resolved", async () => (await alert())?.state === "resolved", 10_000, 100);
    const back = await pendingThroughJump(-3 * HOUR);
    expect(back).toBeGreaterThan(9500);
    expect(back).toBeLessThan(14_000);
    expect(gateway.logs().filter((l) => l.msg.startsWith("the gateway's wall clock jumped")).map((l) => l.deltaMs)).toEqual([expect.closeTo(13 * HOUR, -4), expect.closeTo(-16 * HOUR, -4)]);
    expect(await metric("wachter_clock_jumps_total")).toBe("wachter_clock_jumps_total 2");
  }, 90_000);

  it("a one-hour shelving still ends an hour after it began when the clock is set back an hour, and its until says so", async () => {
    const res = await fetch(`${base}/api/alerts/hot~bearing/shelve`, { method: "POST", headers: { Authorization: `Bearer ${API_TOKEN}`, "Content-Type": "application/json" }, body: JSON.stringify({ for: "1h" }) });
    expect(res.status).toBe(200);
    const left = async () => (await alert()).shelvedUntil! - (await get<{ clock: { now: number } }>("/api/status")).clock.now;
    expect(await left()).toBeGreaterThan(HOUR - 5000);
    const shelvedAt = performance.now();
    clock.set(-4 * HOUR);
    await waitFor("the gateway to notice the jump", async () => Math.abs((await get<{ clock: { now: number } }>("/api/status")).clock.now - Date.now() + 4 * HOUR) < 5000, 5000);
    const remaining = await left();
    expect(remaining).toBeLessThanOrEqual(HOUR - (performance.now() - shelvedAt) + 2000);
    expect(remaining).toBeGreaterThan(HOUR - 60_000);
  }, 20_000);

  it("a channel whose board goes silent just before the clock is set back is stale after its staleAfter", async () => {
    feed(undefined);
    const silentAt = performance.now();
    clock.set(-5 * HOUR);
    await waitFor("channel stale", async () => (await metric('wachter_channel_stale{channel="bearing"}'))?.endsWith(" 1"), 10_000, 100);
    expect(performance.now() - silentAt).toBeLessThan(6000);
    expect((await get<{ name: string }>("/api/me", { Cookie: cookie })).name).toBe("admin");
  });

  it("history stays readable in time order through /api/history, with the jumps flagged", async () => {
    const real = Date.now();
    const range = `from=${real - 5 * HOUR}&to=${real + 14 * HOUR}`;
    const h = await get<{ points: Array<{ t: number }>; clockJumps: Array<{ at: number; deltaMs: number }> }>(`/api/history?channel=bearing&${range}&step=5s`);
    const ts = h.points.map((p) => p.t);
    expect(ts).toEqual([...ts].sort((a, b) => a - b));
    // Samples kept as stamped: before the jumps (real time), between them (13 h ahead), after (3 h behind).
    const near = (at: number) => ts.filter((t) => Math.abs(t - at) < 10 * 60_000).length;
    expect(near(real - 60_000)).toBeGreaterThan(0);
    expect(near(real + 13 * HOUR)).toBeGreaterThan(0);
    expect(near(real - 3 * HOUR)).toBeGreaterThan(0);
    expect(h.clockJumps.map((j) => Math.round(j.deltaMs / HOUR))).toEqual([13, -16, -1, -1]);
    const csv = await (await fetch(`${base}/api/history?channel=bearing&${range}&step=1m&format=csv`, { headers: { Authorization: `Bearer ${API_TOKEN}` } })).text();
    const times = csv.trim().split("\n").slice(1).map((l) => Date.parse(l.split(",")[0]));
    expect(times.every((t) => Number.isFinite(t))).toBe(true);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it("says whether its clock is synchronised, in /api/status and the metrics", async () => {
    expect((await get<{ clock: { synchronized: boolean | null } }>("/api/status")).clock.synchronized).toBe(false);
    expect(await metric("wachter_clock_synchronized")).toBe("wachter_clock_synchronized 0");
    writeFileSync(syncFile, "");
    await waitFor("synchronised", async () => (await get<{ clock: { synchronized: boolean | null } }>("/api/status")).clock.synchronized === true, 15_000, 250);
    expect(await metric("wachter_clock_synchronized")).toBe("wachter_clock_synchronized 1");
    rmSync(syncFile);
  }, 20_000);
});
