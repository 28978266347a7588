import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type Gateway } from "../../gateway/app.js";
import { configSchema } from "../../gateway/config/schema.js";
import { createLogger } from "../../gateway/log.js";
import { freePort } from "../helpers/ports.js";

const TOKEN = "machine-token-0123456789abcdefghijklmnopqrstuv";
const log = createLogger("fatal", false);

async function start(dataDir: string, env: NodeJS.ProcessEnv = {}) {
  const port = await freePort();
  const config = configSchema.parse({
    dataDir,
    http: { host: "127.0.0.1", port },
    auth: { tokens: [{ name: "scada", token: TOKEN, role: "admin" }] },
    sources: [{ id: "sim", type: "simulated" }],
  });
  const gateway = await startGateway(config, log, { env });
  return { gateway, base: `http://127.0.0.1:${port}` };
}

describe("authentication and authorisation", () => {
  let gateway: Gateway;
  let base: string;
  let generated: string;
  const dataDir = mkdtempSync(join(tmpdir(), "wachter-auth-"));
  const bearer = { Authorization: `Bearer ${TOKEN}` };

  beforeAll(async () => {
    ({ gateway, base } = await start(dataDir));
    generated = gateway.generatedAdminPassword!;
  });
  afterAll(() => gateway.stop());

  const login = (username: string, password: string, ip?: string) =>
    fetch(`${base}/api/login`, { method: "POST", headers: { "Content-Type": "application/json", ...(ip ? { "X-Forwarded-For": ip } : {}) }, body: JSON.stringify({ username, password }) });

  it("refuses every non-public route without credentials, localhost included", async () => {
    const routes = gateway.routes.filter((r) => r.method !== "HEAD" && r.method !== "OPTIONS");
    const publicRoutes = routes.filter((r) => r.access === "public").map((r) => `${r.method} ${r.url}`);
    // The plant view's hand-off signs in with the plant token it carries, as /api/login with a password.
    expect(publicRoutes.sort()).toEqual(["GET /*", "GET /healthz", "POST /api/login", "POST /api/login/plant"]);
    const guarded = routes.filter((r) => r.access !== "public");
    expect(guarded.length).toBeGreaterThanOrEqual(9);
    for (const r of guarded) {
      const url = base + r.url.replace(/:(\w+)/g, "x");
      const res = await fetch(url, { method: r.method, headers: { "Content-Type": "application/json" }, body: r.method === "GET" ? undefined : "{}" });
      expect(res.status, `${r.method} ${r.url}`).toBe(401);
    }
  });

  it("never accepts a token in the query string, or a malformed Authorization header", async () => {
    expect((await fetch(`${base}/api/channels?token=${TOKEN}`)).status).toBe(401);
    expect((await fetch(`${base}/api/channels?access_token=${TOKEN}`)).status).toBe(401);
    expect((await fetch(`${base}/api/channels`, { headers: { Authorization: `Basic ${TOKEN}` } })).status).toBe(401);
    expect((await fetch(`${base}/api/channels`, { headers: bearer })).status).toBe(200);
  });

  it("generates a first admin password once, and signs in with an HttpOnly SameSite=Strict cookie", async () => {
    expect(generated).toMatch(/^[A-Za-z0-9_-]{20}$/);
    const res = await login("admin", generated);
    expect(res.status).toBe(200);
    const cookie = res.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^wachter_session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).toContain("Path=/");
    const session = cookie.split(";")[0];
    expect(await (await fetch(`${base}/api/me`, { headers: { Cookie: session } })).json()).toEqual({ name: "admin", role: "admin", via: "session", preferences: { temperatureUnit: "C" } });

    // A write with the session cookie from another origin is refused.
    const cross = await fetch(`${base}/api/users`, {
      method: "POST",
      headers: { Cookie: session, Origin: "http://evil.example", "Content-Type": "application/json" },
      body: JSON.stringify({ username: "x", password: "yyyyyyyyyyyyyy", role: "admin" }),
    });
    expect(cross.status).toBe(403);
    expect(cross.headers.get("access-control-allow-origin")).toBeNull();

    expect((await fetch(`${base}/api/logout`, { method: "POST", headers: { Cookie: session } })).status).toBe(204);
    expect((await fetch(`${base}/api/me`, { headers: { Cookie: session } })).status).toBe(401);
  });

  it("enforces roles: viewer watches, admin manages users", async () => {
    const create = (username: string, role: string) =>
      fetch(`${base}/api/users`, { method: "POST", headers: { ...bearer, "Content-Type": "application/json" }, body: JSON.stringify({ username, password: `${username}-password-123`, role }) });
    expect((await create("olga", "operator")).status).toBe(201);
    expect((await create("victor", "viewer")).status).toBe(201);
    const short = await fetch(`${base}/api/users`, { method: "POST", headers: { ...bearer, "Content-Type": "application/json" }, body: JSON.stringify({ username: "s", password: "short", role: "viewer" }) });
    expect(short.status).toBe(400);

    const session = (await login("victor", "victor-password-123")).headers.get("set-cookie")!.split(";")[0];
    expect((await fetch(`${base}/api/channels`, { headers: { Cookie: session } })).status).toBe(200);
    expect((await fetch(`${base}/api/users`, { headers: { Cookie: session } })).status).toBe(403);

    // Removing a user ends their sessions at once.
    expect((await fetch(`${base}/api/users/victor`, { method: "DELETE", headers: bearer })).status).toBe(204);
    expect((await fetch(`${base}/api/channels`, { headers: { Cookie: session } })).status).toBe(401);
  });

  it("throttles failed sign-ins per user and per address, without trusting X-Forwarded-For", async () => {
    for (let i = 0; i < 5; i++) expect((await login("olga", "wrong-password", `203.0.113.${i}`)).status).toBe(401);
    const locked = await login("olga", "olga-password-123", "203.0.113.99");
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(200);
    // X-Forwarded-For from an untrusted peer is ignored, so all five failures also counted
    // against 127.0.0.1: that address is locked for every user now.
    expect((await login("admin", generated)).status).toBe(429);
  });

  it("keeps users across restarts and does not generate a second password", async () => {
    await gateway.stop();
    ({ gateway, base } = await start(dataDir));
    expect(gateway.generatedAdminPassword).toBeUndefined();
    expect((await login("olga", "olga-password-123")).status).toBe(200);
  });
});

describe("users managing themselves and each other", () => {
  it("changes one's own password, changes roles, and never leaves the gateway without an admin", async () => {
    const { gateway, base } = await start(mkdtempSync(join(tmpdir(), "wachter-auth-")), { WACHTER_ADMIN_PASSWORD: "first-admin-password" });
    const json = { "Content-Type": "application/json" };
    const signIn = async (username: string, password: string) => {
      const res = await fetch(`${base}/api/login`, { method: "POST", headers: json, body: JSON.stringify({ username, password }) });
      return res.status === 200 ? res.headers.get("set-cookie")!.split(";")[0] : undefined;
    };
    try {
      const admin = (await signIn("admin", "first-admin-password"))!;
      const as = (cookie: string) => ({ ...json, Cookie: cookie });
      expect((await fetch(`${base}/api/users`, { method: "POST", headers: as(admin), body: JSON.stringify({ username: "vera", password: "vera-password-123", role: "viewer" }) })).status).toBe(201);
      const vera = (await signIn("vera", "vera-password-123"))!;
      const otherVera = (await signIn("vera", "vera-password-123"))!;
      const change = (cookie: string, current: string, password: string) => fetch(`${base}/api/me/password`, { method: "POST", headers: as(cookie), body: JSON.stringify({ current, password }) });

      expect(await (await change(vera, "not-her-password", "vera-new-password-1")).json()).toEqual({ error: "the current password is wrong" });
      expect(await (await change(vera, "vera-password-123", "short")).json()).toEqual({ error: "password: at least 12 characters" });
      const ok = await change(vera, "vera-password-123", "vera-new-password-1");
      expect(ok.status).toBe(204);
      const renewed = ok.headers.get("set-cookie")!.split(";")[0];
      expect((await fetch(`${base}/api/me`, { headers: as(renewed) })).status).toBe(200);
      expect((await fetch(`${base}/api/me`, { headers: as(otherVera) })).status).toBe(401);
      expect(await signIn("vera", "vera-password-123")).toBeUndefined();
      expect(await signIn("vera", "vera-new-password-1")).toBeDefined();

      // Roles change without touching the password; the user signs in again with the new role.
      const promote = await fetch(`${base}/api/users/vera`, { method: "PATCH", headers: as(admin), body: JSON.stringify({ role: "operator" }) });
      expect(await promote.json()).toEqual({ username: "vera", role: "operator" });
      expect((await fetch(`${base}/api/me`, { headers: as(renewed) })).status).toBe(401);
      const operator = (await signIn("vera", "vera-new-password-1"))!;
      expect(await (await fetch(`${base}/api/me`, { headers: as(operator) })).json()).toMatchObject({ role: "operator" });
      expect((await fetch(`${base}/api/users/vera`, { method: "PATCH", headers: as(operator), body: JSON.stringify({ role: "admin" }) })).status).toBe(403);
      expect((await fetch(`${base}/api/users/nobody`, { method: "PATCH", headers: as(admin), body: JSON.stringify({ role: "viewer" }) })).status).toBe(404);
      expect((await fetch(`${base}/api/users/vera`, { method: "PATCH", headers: as(admin), body: JSON.stringify({ role: "root" }) })).status).toBe(400);
      const demoteLast = await fetch(`${base}/api/users/admin`, { method: "PATCH", headers: as(admin), body: JSON.stringify({ role: "viewer" }) });
      expect(demoteLast.status).toBe(409);
      expect(await demoteLast.json()).toEqual({ error: "the last admin cannot be demoted" });
      expect((await fetch(`${base}/api/me/password`, { method: "POST", headers: { ...json, Authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ current: "x", password: "yyyyyyyyyyyyyy" }) })).status).toBe(400);
    } finally {
      await gateway.stop();
    }
  });
});

describe("a user's preferences", () => {
  it("are set by the user, kept in users.json across password changes, roles and restarts, and refused when malformed", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "wachter-auth-"));
    let { gateway, base } = await start(dataDir, { WACHTER_ADMIN_PASSWORD: "prefs-admin-password" });
    const json = { "Content-Type": "application/json" };
    const signIn = async (username: string, password: string) =>
      (await fetch(`${base}/api/login`, { method: "POST", headers: json, body: JSON.stringify({ username, password }) })).headers.get("set-cookie")!.split(";")[0];
    const patch = (cookie: string, body: unknown) => fetch(`${base}/api/me`, { method: "PATCH", headers: { ...json, Cookie: cookie }, body: JSON.stringify(body) });
    try {
      const admin = await signIn("admin", "prefs-admin-password");
      await fetch(`${base}/api/users`, { method: "POST", headers: { ...json, Cookie: admin }, body: JSON.stringify({ username: "vic", password: "vic-password-1234", role: "viewer" }) });
      const vic = await signIn("vic", "vic-password-1234");
      const set = await patch(vic, { preferences: { temperatureUnit: "F" } });
      expect(await set.json()).toEqual({ name: "vic", role: "viewer", via: "session", preferences: { temperatureUnit: "F" } });
      // Another session of the same user, another user.
      expect((await (await fetch(`${base}/api/me`, { headers: { Cookie: await signIn("vic", "vic-password-1234") } })).json()).preferences).toEqual({ temperatureUnit: "F" });
      expect((await (await fetch(`${base}/api/me`, { headers: { Cookie: admin } })).json()).preferences).toEqual({ temperatureUnit: "C" });
      const stored = JSON.parse(readFileSync(join(dataDir, "users.json"), "utf8")) as { users: Array<{ username: string; preferences?: object }> };
      expect(stored.users.find((u) => u.username === "vic")!.preferences).toEqual({ temperatureUnit: "F" });

      for (const bad of [{ preferences: { temperatureUnit: "K" } }, { preferences: { colour: "red" } }, { temperatureUnit: "F" }, { preferences: "F" }]) {
        const res = await patch(vic, bad);
        expect(res.status, JSON.stringify(bad)).toBe(400);
        expect(((await res.json()) as { error: string }).error).toBe('expected JSON {"preferences": {"temperatureUnit": "C" | "F"}}');
      }
      const token = await fetch(`${base}/api/me`, { method: "PATCH", headers: { ...json, Authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ preferences: { temperatureUnit: "F" } }) });
      expect(token.status).toBe(400);
      expect((await (await fetch(`${base}/api/me`, { headers: { Authorization: `Bearer ${TOKEN}` } })).json()).preferences).toEqual({ temperatureUnit: "C" });

      // A new password and a new role keep them; so does a restart.
      const changed = await fetch(`${base}/api/me/password`, { method: "POST", headers: { ...json, Cookie: vic }, body: JSON.stringify({ current: "vic-password-1234", password: "vic-password-5678" }) });
      expect(changed.status).toBe(204);
      await fetch(`${base}/api/users/vic`, { method: "PATCH", headers: { ...json, Cookie: admin }, body: JSON.stringify({ role: "operator" }) });
      await gateway.stop();
      ({ gateway, base } = await start(dataDir));
      expect(await (await fetch(`${base}/api/me`, { headers: { Cookie: await signIn("vic", "vic-password-5678") } })).json()).toMatchObject({ role: "operator", preferences: { temperatureUnit: "F" } });
    } finally {
      await gateway.stop();
    }
  });
});

describe("writes per user", () => {
  it("limits each user's changes a minute, also when they arrive together, and leaves other users alone", async () => {
    const { gateway, base } = await start(mkdtempSync(join(tmpdir(), "wachter-auth-")), { WACHTER_ADMIN_PASSWORD: "writes-admin-password" });
    const json = { "Content-Type": "application/json" };
    const signIn = async (username: string, password: string) =>
      (await fetch(`${base}/api/login`, { method: "POST", headers: json, body: JSON.stringify({ username, password }) })).headers.get("set-cookie")!.split(";")[0];
    try {
      const admin = await signIn("admin", "writes-admin-password");
      await fetch(`${base}/api/users`, { method: "POST", headers: { ...json, Cookie: admin }, body: JSON.stringify({ username: "olga", password: "olga-password-1234", role: "operator" }) });
      const olga = await signIn("olga", "olga-password-1234");
      // Toggling °C/°F as fast as it can: each change is a write of users.json.
      const toggles = await Promise.all(
        Array.from({ length: 15 }, async (_, i) => {
          const res = await fetch(`${base}/api/me`, { method: "PATCH", headers: { ...json, Cookie: olga }, body: JSON.stringify({ preferences: { temperatureUnit: i % 2 ? "F" : "C" } }) });
          return { status: res.status, retryAfter: Number(res.headers.get("retry-after")), body: (await res.json()) as { error?: string } };
        }),
      );
      expect(toggles.filter((r) => r.status === 200)).toHaveLength(10);
      const refused = toggles.filter((r) => r.status === 429);
      expect(refused).toHaveLength(5);
      expect(refused[0].retryAfter).toBeGreaterThan(0);
      expect(refused[0].body.error).toBe("at most 10 changes a minute; try again in 1 minute");
      const adminToggle = await fetch(`${base}/api/me`, { method: "PATCH", headers: { ...json, Cookie: admin }, body: JSON.stringify({ preferences: { temperatureUnit: "F" } }) });
      expect(adminToggle.status).toBe(200);
      // Acknowledging in a loop: each would be an alert event kept for good. Unknown alerts count too.
      // Ten at a time: one address may hold no more than 32 connections.
      const ack = async () => {
        const res = await fetch(`${base}/api/alerts/nope/ack`, { method: "POST", headers: { ...json, Cookie: olga }, body: "{}" });
        await res.arrayBuffer();
        return res.status;
      };
      const acks: number[] = [];
      for (let wave = 0; wave < 7; wave++) acks.push(...(await Promise.all(Array.from({ length: 10 }, ack))));
      expect(acks.filter((s) => s === 404)).toHaveLength(60);
      expect(acks.filter((s) => s === 429)).toHaveLength(10);
    } finally {
      await gateway.stop();
    }
  });
});

describe("sign-in throttling under concurrency", () => {
  it("lets no more than five wrong passwords through at once, however many arrive together", async () => {
    const { gateway, base } = await start(mkdtempSync(join(tmpdir(), "wachter-auth-")), { WACHTER_ADMIN_PASSWORD: "concurrent-admin-password" });
    try {
      const guesses = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          fetch(`${base}/api/login`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ username: "admin", password: `guess-${i}` }) }).then((r) => r.status),
        ),
      );
      expect(guesses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
      expect(guesses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(25);
      expect(guesses.every((s) => s === 401 || s === 429)).toBe(true);
    } finally {
      await gateway.stop();
    }
  });

  it("signs a client in with the right password no more than 20 times a minute", async () => {
    const { gateway, base } = await start(mkdtempSync(join(tmpdir(), "wachter-auth-")), { WACHTER_ADMIN_PASSWORD: "repeated-admin-password" });
    const signIn = () => fetch(`${base}/api/login`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ username: "admin", password: "repeated-admin-password" }) });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push((await signIn()).status);
      const together = await Promise.all(Array.from({ length: 10 }, () => signIn()));
      expect(statuses).toEqual(Array(20).fill(200));
      expect(together.map((r) => r.status)).toEqual(Array(10).fill(429));
      expect(Number(together[0].headers.get("retry-after"))).toBeGreaterThan(0);
      expect(((await together[0].json()) as { error: string }).error).toBe("too many sign-ins from this address or for this user; try again later");
    } finally {
      await gateway.stop();
    }
  });
});

describe("HTTPS", () => {
  it("serves over a self-signed certificate made once in the data directory, with Secure cookies", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "wachter-tls-"));
    const port = await freePort();
    const config = configSchema.parse({ dataDir, http: { host: "127.0.0.1", port, tls: "self-signed" }, sources: [] });
    const gateway = await startGateway(config, log, { env: { WACHTER_ADMIN_PASSWORD: "https-admin-password" } });
    try {
      expect(gateway.urls[0]).toBe(`https://127.0.0.1:${port}/`);
      const { request } = await import("node:https");
      const res = await new Promise<{ status: number; cookie: string; cert: string }>((resolve, reject) => {
        const req = request(
          { host: "127.0.0.1", port, path: "/api/login", method: "POST", rejectUnauthorized: false, headers: { "Content-Type": "application/json" } },
          (r) => {
            const cert = String((r.socket as import("node:tls").TLSSocket).getPeerCertificate().subject?.CN ?? "");
            r.resume();
            resolve({ status: r.statusCode!, cookie: String(r.headers["set-cookie"]), cert });
          },
        );
        req.on("error", reject);
        req.end(JSON.stringify({ username: "admin", password: "https-admin-password" }));
      });
      expect(res.status).toBe(200);
      expect(res.cookie).toContain("Secure");
      expect(res.cert.length).toBeGreaterThan(0);
    } finally {
      await gateway.stop();
    }
  });
});
