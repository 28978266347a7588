import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RTCPeerConnection } from "werift";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser.js";
import { FakeWallClock } from "../helpers/faketime.js";
import { stringify } from "yaml";
import { ADMIN_PASSWORD, API_TOKEN, CLI, GatewayProcess, ROOT } from "../helpers/gateway.js";
import { makePlantKeyPair } from "../helpers/plantKeys.js";
import { freePort, waitFor } from "../helpers/ports.js";

async function recvOnlyOffer(): Promise<{ sdp: string; pc: RTCPeerConnection }> {
  const pc = new RTCPeerConnection({ iceServers: [] });
  pc.addTransceiver("video", { direction: "recvonly" });
  pc.createDataChannel("telemetry");
  const offer = await pc.createOffer();
  for (const t of pc.iceTransports) t.connection.stunServer = undefined;
  await pc.setLocalDescription(offer);
  return { sdp: pc.localDescription!.sdp, pc };
}

const SIM = { id: "sim", type: "simulated", thermalFps: 2, microphone: false };

/**
 * Two real gateways of one plant on loopback: A ("hall-screen") holds the plant's private key and
 * issues tokens; B ("mill-3") trusts the public key, caps plant users at operator and allows A's
 * origin (CORS). B's wall clock is under libfaketime, to move it past a token's expiry.
 */
describe("plant single sign-on between two gateways", () => {
  const keys = mkdtempSync(join(tmpdir(), "wachter-plant-keys-"));
  const privateFile = join(keys, "plant-sso.key");
  let a: GatewayProcess;
  let b: GatewayProcess;
  let baseA: string;
  let baseB: string;
  let originA: string;
  /** A blank page for the browser to run in, standing in for the plant view's origin (A's CSP does not yet let A's own pages call other gateways). */
  let plantPage: Server;
  let originPage: string;
  const clockB = new FakeWallClock();
  const peers: RTCPeerConnection[] = [];
  let session: string;

  beforeAll(async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    baseA = `http://127.0.0.1:${portA}`;
    baseB = `http://127.0.0.1:${portB}`;
    originA = baseA;
    plantPage = createServer((_req, res) => res.writeHead(200, { "Content-Type": "text/html" }).end("<!doctype html><title>plant</title>"));
    await new Promise<void>((r) => plantPage.listen(0, "127.0.0.1", r));
    originPage = `http://127.0.0.1:${(plantPage.address() as { port: number }).port}`;
    a = new GatewayProcess({ http: { host: "127.0.0.1", port: portA }, plant: { sso: { audience: "hall-screen", issuer: { privateKeyFile: privateFile } } }, sources: [SIM] });
    b = new GatewayProcess({
      http: { host: "127.0.0.1", port: portB, corsOrigins: [originA, originPage] },
      // Relative: in B's dataDir.
      plant: { sso: { audience: "mill-3", trustedKeys: ["plant-sso.pub"], maxRole: "operator" } },
      // Always active: an alert for the plant user to acknowledge.
      alerts: { rules: [{ id: "running", channels: ["spindle.bearing"], severity: "warning", when: { above: -100, clear: -200 } }] },
      sources: [SIM],
    });
    mkdirSync(b.dataDir, { recursive: true });
    makePlantKeyPair(privateFile, join(b.dataDir, "plant-sso.pub"));
    b.env = clockB.env();
    // One after the other: two starting together on a busy 2-core machine can outlast the start timeout.
    await a.start();
    await b.start();
    const login = await fetch(`${baseA}/api/login`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ username: "admin", password: ADMIN_PASSWORD }) });
    expect(login.status).toBe(200);
    session = login.headers.get("set-cookie")!.split(";")[0];
  }, 60_000);
  afterAll(async () => {
    await Promise.all(peers.map((p) => p.close()));
    await Promise.all([a?.stop(), b?.stop()]);
    plantPage?.close();
  });

  const tokenFor = async (audience: string) => {
    const res = await fetch(`${baseA}/api/plant/token`, { method: "POST", headers: { Cookie: session, "Content-Type": "application/json" }, body: JSON.stringify({ audience }) });
    expect(res.status).toBe(200);
    return (await res.json()) as { token: string; audience: string; role: string; expiresAt: string };
  };
  const onB = (path: string, token: string, init: RequestInit = {}) => fetch(`${baseB}${path}`, { ...init, headers: { Authorization: `Bearer ${token}`, ...init.headers } });
  const refusal = async (res: Response) => ({ status: res.status, error: ((await res.json()) as { error: string }).error, header: res.headers.get("www-authenticate") });
  /** The plant view's hand-off: the form a page of `origin` posts to B. */
  const handOff = (body: string, origin?: string) =>
    fetch(`${baseB}/api/login/plant`, { method: "POST", redirect: "manual", headers: { "Content-Type": "application/x-www-form-urlencoded", ...(origin ? { Origin: origin } : {}) }, body });
  const signedInOnB = async () => {
    const res = await handOff(`token=${(await tokenFor("mill-3")).token}`, originA);
    expect(res.status).toBe(303);
    return res.headers.get("set-cookie")!.split(";")[0];
  };

  it("A issues a short-lived token for B to the user signed in on A, and to nobody else", async () => {
    const issued = await tokenFor("mill-3");
    expect(issued).toMatchObject({ audience: "mill-3", role: "admin" });
    const lifetime = Date.parse(issued.expiresAt) - Date.now();
    expect(lifetime).toBeGreaterThan(4 * 60_000);
    expect(lifetime).toBeLessThanOrEqual(5 * 60_000);

    const viaApiToken = await fetch(`${baseA}/api/plant/token`, { method: "POST", headers: { Authorization: `Bearer ${API_TOKEN}`, "Content-Type": "application/json" }, body: '{"audience":"mill-3"}' });
    expect(viaApiToken.status).toBe(403);
    expect((await fetch(`${baseA}/api/plant/token`, { method: "POST", headers: { "Content-Type": "application/json" }, body: '{"audience":"mill-3"}' })).status).toBe(401);
    const bad = await fetch(`${baseA}/api/plant/token`, { method: "POST", headers: { Cookie: session, "Content-Type": "application/json" }, body: '{"audience":"mill 3"}' });
    expect(bad.status).toBe(400);
    // B holds no private key.
    const notIssuer = await onB("/api/plant/token", API_TOKEN, { method: "POST", headers: { "Content-Type": "application/json" }, body: '{"audience":"hall-screen"}' });
    expect(await refusal(notIssuer)).toMatchObject({ status: 404, error: "this gateway issues no plant tokens (plant.sso.issuer is not configured)" });
  });

  it("B accepts the token with the role capped at its maxRole: API calls and a WHEP offer", async () => {
    const { token } = await tokenFor("mill-3");
    const me = await onB("/api/me", token);
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ name: "admin@hall-screen", role: "operator", via: "plant" });
    expect((await onB("/api/channels", token)).status).toBe(200);
    // An operator's action works; an admin's does not, although the user is an admin on A.
    const alert = await waitFor("an active alert on B", async () => ((await (await onB("/api/alerts", token)).json()) as Array<{ id: string }>)[0]);
    const ack = await onB(`/api/alerts/${encodeURIComponent(alert.id)}/ack`, token, { method: "POST", headers: { "Content-Type": "application/json" }, body: '{"note":"seen from the plant view"}' });
    expect(ack.status).toBe(200);
    expect(((await ack.json()) as { ack: { by: string } }).ack.by).toBe("admin@hall-screen");
    const users = await onB("/api/users", token);
    expect(await refusal(users)).toMatchObject({ status: 403, error: "needs the admin role" });

    const { sdp, pc } = await recvOnlyOffer();
    peers.push(pc);
    const offer = await onB("/whep", token, { method: "POST", headers: { "Content-Type": "application/sdp", Origin: originA }, body: sdp });
    expect(offer.status).toBe(201);
    expect(await offer.text()).toMatch(/^v=0/);
    expect(offer.headers.get("access-control-allow-origin")).toBe(originA);
    expect(offer.headers.get("access-control-expose-headers")).toMatch(/Location/);
    const location = offer.headers.get("location")!;
    expect((await onB(location, token, { method: "DELETE" })).status).toBe(200);
  });

  it("B answers CORS preflights from the plant origin exactly, and from no other", async () => {
    const preflight = (origin: string, method: string, headers: string) =>
      fetch(`${baseB}/whep`, { method: "OPTIONS", headers: { Origin: origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers } });
    const ok = await preflight(originA, "POST", "authorization,content-type");
    expect(ok.status).toBe(204);
    expect(ok.headers.get("access-control-allow-origin")).toBe(originA);
    expect(ok.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
    // A WHEP player trickles candidates (PATCH) and leaves (DELETE) on the session's URL.
    const leave = await fetch(`${baseB}/whep/sessions/x`, { method: "OPTIONS", headers: { Origin: originA, "Access-Control-Request-Method": "DELETE", "Access-Control-Request-Headers": "authorization" } });
    expect(leave.headers.get("access-control-allow-methods")?.split(/, */)).toEqual(expect.arrayContaining(["PATCH", "DELETE"]));
    const evil = await preflight("http://evil.example", "POST", "authorization,content-type");
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();
    // A refusal is readable by the plant origin's script, with its reason.
    const refused = await fetch(`${baseB}/api/channels`, { headers: { Origin: originA, Authorization: "Bearer eyJhbGciOiJFZERTQSJ9.e30.AAAAAAAAAAAA" } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("access-control-allow-origin")).toBe(originA);
  });

  it("a page from a plant origin in Chromium calls B's API and makes a WHEP session there with the token", async () => {
    const { token } = await tokenFor("mill-3");
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${originPage}/`);
      // Plain page code (no tsx helpers): what the plant view will do.
      const result = await page.evaluate(`(async () => {
        const B = ${JSON.stringify(baseB)}, auth = { Authorization: "Bearer " + ${JSON.stringify(token)} };
        const me = await (await fetch(B + "/api/me", { headers: auth })).json();
        const pc = new RTCPeerConnection();
        pc.addTransceiver("video", { direction: "recvonly" });
        pc.createDataChannel("telemetry");
        await pc.setLocalDescription(await pc.createOffer());
        const offer = await fetch(B + "/whep", { method: "POST", headers: { ...auth, "Content-Type": "application/sdp" }, body: pc.localDescription.sdp });
        const location = offer.headers.get("Location"), etag = offer.headers.get("ETag");
        await pc.setRemoteDescription({ type: "answer", sdp: await offer.text() });
        const left = await fetch(new URL(location, B), { method: "DELETE", headers: auth });
        pc.close();
        const refused = await fetch(B + "/api/me", { headers: { Authorization: "Bearer " + ${JSON.stringify(token)}.slice(0, -4) + "AAAA" } });
        return { me, offer: offer.status, location, etag, left: left.status, refused: refused.status, reason: (await refused.json()).error };
      })()`);
      expect(result).toMatchObject({ me: { name: "admin@hall-screen", role: "operator", via: "plant" }, offer: 201, location: expect.stringMatching(/^\/whep\/sessions\//), etag: expect.any(String), left: 200, refused: 401, reason: "plant token refused: the signature does not verify" });
    } finally {
      await browser.close();
    }
  });

  it("B refuses a token for another gateway, a tampered one, and A refuses B's token (it trusts no key), each with a 401 and the reason", async () => {
    const other = await tokenFor("press-1");
    expect(await refusal(await onB("/api/channels", other.token))).toEqual({
      status: 401,
      error: 'plant token refused: issued for gateway "press-1", this is "mill-3"',
      header: `Bearer realm="wachter", error="invalid_token", error_description="issued for gateway 'press-1', this is 'mill-3'"`,
    });
    const { token } = await tokenFor("mill-3");
    const [h, p, s] = token.split(".");
    const claims = JSON.parse(Buffer.from(p, "base64url").toString());
    const promoted = Buffer.from(JSON.stringify({ ...claims, aud: "mill-3", sub: "root" })).toString("base64url");
    expect(await refusal(await onB("/api/channels", `${h}.${promoted}.${s}`))).toMatchObject({ status: 401, error: "plant token refused: the signature does not verify" });
    const flipped = `${h}.${p}.${s.slice(0, 5)}${s[5] === "A" ? "B" : "A"}${s.slice(6)}`;
    expect(await refusal(await onB("/api/channels", flipped))).toMatchObject({ status: 401, error: "plant token refused: the signature does not verify" });
    // The reason quotes the token's header; in WWW-Authenticate as printable ASCII only.
    const oddKid = `${Buffer.from(JSON.stringify({ alg: "EdDSA", typ: "wachter-plant+jwt", kid: "ключ" })).toString("base64url")}.${p}.${s}`;
    expect(await refusal(await onB("/api/channels", oddKid))).toEqual({
      status: 401,
      error: 'plant token refused: signed by a key this gateway does not trust (kid "ключ"); the plant key may have been rotated',
      header: `Bearer realm="wachter", error="invalid_token", error_description="signed by a key this gateway does not trust (kid '????'); the plant key may have been rotated"`,
    });
    const atA = await fetch(`${baseA}/api/channels`, { headers: { Authorization: `Bearer ${token}` } });
    expect(await refusal(atA)).toMatchObject({ status: 401, error: "plant token refused: this gateway accepts no plant tokens (plant.sso.trustedKeys is not configured)" });
  });

  it("B refuses the token once its clock has passed the expiry (and the skew)", async () => {
    const { token } = await tokenFor("mill-3");
    expect((await onB("/api/channels", token)).status).toBe(200);
    clockB.set(6 * 60_000);
    try {
      const res = await waitFor("B's clock moved", async () => {
        const r = await onB("/api/channels", token);
        return r.status === 401 ? r : undefined;
      }, 5000, 200);
      const { error } = await refusal(res);
      expect(error).toMatch(/^plant token refused: expired at \S+Z; this gateway's clock reads \S+Z \(\d+ s later; are both gateways' clocks synchronised/);
    } finally {
      clockB.set(0);
    }
    await waitFor("B's clock back", async () => ((await onB("/api/channels", (await tokenFor("mill-3")).token)).status === 200 ? true : undefined), 5000, 200);
  });

  it("B turns a plant token posted from a plant origin into one session of its own (role capped, 8 h at most), and refuses other origins, bad tokens and a second use", async () => {
    const { token } = await tokenFor("mill-3");
    const res = await handOff(`token=${token}`, originA);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("../../");
    const cookie = res.headers.get("set-cookie")!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Max-Age=28800/);
    const sessionB = cookie.split(";")[0];
    expect(await (await fetch(`${baseB}/api/me`, { headers: { Cookie: sessionB } })).json()).toMatchObject({ name: "admin@hall-screen", role: "operator", via: "plant" });
    expect(b.logs().find((l) => l.msg === "signed in from the plant view")).toMatchObject({ username: "admin@hall-screen", origin: originA });
    // A session like any other: writes from another origin are refused.
    const csrf = await fetch(`${baseB}/api/alerts/x/ack`, { method: "POST", headers: { Cookie: sessionB, Origin: "http://127.0.0.1:9", "Content-Type": "application/json" }, body: "{}" });
    expect(await refusal(csrf)).toMatchObject({ status: 403, error: "cross-origin request refused" });

    const refused = async (r: Response) => ({ status: r.status, text: await r.text(), cookie: r.headers.get("set-cookie") });
    // One session per token: posting it again opens none.
    expect(await refused(await handOff(`token=${token}`, originA))).toMatchObject({
      status: 401,
      text: "Sign-in from the plant view refused: this token has opened a session already; ask the plant view for a new one",
      cookie: null,
    });
    expect(await refused(await handOff(`token=${token}`, "http://127.0.0.1:9"))).toMatchObject({ status: 403, text: expect.stringContaining("(http://127.0.0.1:9) is not one of this gateway's plant origins"), cookie: null });
    expect(await refused(await handOff(`token=${token}`))).toMatchObject({ status: 403, cookie: null });
    expect(await refused(await handOff("token=not-a-token", originA))).toMatchObject({ status: 400, cookie: null });
    const elsewhere = await refused(await handOff(`token=${(await tokenFor("press-1")).token}`, originA));
    expect(elsewhere).toMatchObject({ status: 401, text: 'Sign-in from the plant view refused: issued for gateway "press-1", this is "mill-3"', cookie: null });
    expect((await handOff(`token=${"a".repeat(5000)}`, originA)).status).toBe(413);
  });

  it("B refuses tokens of the old key once its trusted key is rotated and reloaded, and accepts the new key's", async () => {
    const handedOver = await signedInOnB();
    expect((await fetch(`${baseB}/api/me`, { headers: { Cookie: handedOver } })).status).toBe(200);
    const before = await tokenFor("mill-3");
    expect((await onB("/api/channels", before.token)).status).toBe(200);
    makePlantKeyPair(join(keys, "next.key"), join(b.dataDir, "plant-sso.pub"));
    const reload = await fetch(`${baseB}/api/reload`, { method: "POST", headers: { Authorization: `Bearer ${API_TOKEN}` } });
    expect(reload.status).toBe(200);
    expect(((await reload.json()) as { needsRestart: string[] }).needsRestart).toEqual([]);
    expect(await refusal(await onB("/api/channels", before.token))).toMatchObject({
      status: 401,
      error: expect.stringMatching(/^plant token refused: signed by a key this gateway does not trust \(kid "[A-Za-z0-9_-]{43}"\); the plant key may have been rotated$/),
    });
    // The session the old key's token opened ends with it.
    expect((await fetch(`${baseB}/api/me`, { headers: { Cookie: handedOver } })).status).toBe(401);
    // A gets the new private key too; its tokens pass again.
    copyFileSync(join(keys, "next.key"), privateFile);
    expect((await fetch(`${baseA}/api/reload`, { method: "POST", headers: { Authorization: `Bearer ${API_TOKEN}` } })).status).toBe(200);
    const after = await tokenFor("mill-3");
    expect((await onB("/api/channels", after.token)).status).toBe(200);
  });
});

describe("plant keys on the command line", () => {
  const dir = mkdtempSync(join(tmpdir(), "wachter-plant-cli-"));
  const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: "utf8", timeout: 30_000 });
  const config = (sso: object) => {
    const file = join(dir, "config.yaml");
    writeFileSync(file, stringify({ dataDir: dir, http: { host: "127.0.0.1", port: 1 }, plant: { sso }, sources: [] }));
    return file;
  };

  it("check-config and the gateway itself refuse a private key others can read, or a private key given as trusted, with exit status 2", () => {
    makePlantKeyPair(join(dir, "plant-sso.key"), join(dir, "plant-sso.pub"));
    expect(cli(["check-config", config({ audience: "hall-screen", issuer: { privateKeyFile: "plant-sso.key" }, trustedKeys: ["plant-sso.pub"] })]).status).toBe(0);
    chmodSync(join(dir, "plant-sso.key"), 0o644);
    const open = cli(["check-config", config({ audience: "hall-screen", issuer: { privateKeyFile: "plant-sso.key" } })]);
    expect(open.status).toBe(2);
    expect(open.stderr).toMatch(/plant-sso\.key can be read by others \(mode 644\): chmod 600 it/);
    const started = cli(["--config", join(dir, "config.yaml")]);
    expect(started.status).toBe(2);
    expect(started.stderr).toMatch(/chmod 600 it/);
    const swapped = cli(["check-config", config({ audience: "mill-3", trustedKeys: ["plant-sso.key"] })]);
    expect(swapped.status).toBe(2);
    expect(swapped.stderr).toMatch(/plant\.sso\.trustedKeys\[0\] .* is a private key: give its public key/);
  });
});
