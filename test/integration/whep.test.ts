import fc from "fast-check";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RTCPeerConnection } from "werift";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type Gateway } from "../../gateway/app.js";
import { configSchema } from "../../gateway/config/schema.js";
import { createLogger } from "../../gateway/log.js";
import { turnCredentials } from "../../gateway/webrtc/iceServers.js";
import { freePort } from "../helpers/ports.js";

const TOKEN = "whep-test-token-0123456789abcdefghijklmnop";
const SECRET = "turn-shared-secret-0123456789";

/** A real offer, as a WHEP player would send it. */
async function realOffer(video = 1, data = true): Promise<{ sdp: string; pc: RTCPeerConnection }> {
  const pc = new RTCPeerConnection({ iceServers: [] });
  for (let i = 0; i < video; i++) pc.addTransceiver("video", { direction: "recvonly" });
  if (data) pc.createDataChannel("telemetry");
  const offer = await pc.createOffer();
  for (const t of pc.iceTransports) t.connection.stunServer = undefined;
  await pc.setLocalDescription(offer);
  return { sdp: pc.localDescription!.sdp, pc };
}

/** An in-process gateway with the simulated machine and a viewer token, with these WebRTC settings. */
async function startWhepGateway(webrtc: object, thermalFps: number): Promise<{ gateway: Gateway; base: string }> {
  const port = await freePort();
  const config = configSchema.parse({
    dataDir: mkdtempSync(join(tmpdir(), "wachter-whep-")),
    http: { host: "127.0.0.1", port },
    auth: { tokens: [{ name: "player", token: TOKEN, role: "viewer" }] },
    webrtc,
    sources: [{ id: "sim", type: "simulated", thermalFps, microphone: false }],
  });
  return { gateway: await startGateway(config, createLogger("fatal", false), { env: {} }), base: `http://127.0.0.1:${port}` };
}

describe("WHEP conformance and robustness", () => {
  let gateway: Gateway;
  let base: string;
  const peers: RTCPeerConnection[] = [];
  const auth = { Authorization: `Bearer ${TOKEN}` };
  const post = (body: string, path = "/whep", type = "application/sdp") => fetch(`${base}${path}`, { method: "POST", headers: { ...auth, "Content-Type": type }, body });

  beforeAll(async () => {
    ({ gateway, base } = await startWhepGateway({ maxViewers: 3, iceServers: [{ urls: "stun:stun.plant.test:3478" }], turn: { urls: ["turn:turn.plant.test:3478?transport=udp"], secret: SECRET, ttl: "10m" } }, 2));
  });
  afterAll(async () => {
    await Promise.all(peers.map((p) => p.close()));
    await gateway.stop();
  });

  it("answers an offer: 201, Location, ETag, SDP answer, Link headers with fresh TURN credentials", async () => {
    const { sdp, pc } = await realOffer();
    peers.push(pc);
    const res = await post(sdp);
    expect(res.status).toBe(201);
    expect(res.headers.get("content-type")).toBe("application/sdp");
    expect(res.headers.get("location")).toMatch(/^\/whep\/sessions\/[A-Za-z0-9_-]{22}$/);
    expect(res.headers.get("etag")).toMatch(/^"[0-9a-f]{16}"$/);
    const links = res.headers.get("link")!;
    expect(links).toContain('<stun:stun.plant.test:3478>; rel="ice-server"');
    const m = /<turn:turn\.plant\.test:3478\?transport=udp>; rel="ice-server"; username="(\d+):player"; credential="([^"]+)"; credential-type="password"/.exec(links)!;
    expect(m).not.toBeNull();
    const expiry = Number(m[1]) * 1000;
    expect(expiry - Date.now()).toBeGreaterThan(9 * 60_000);
    expect(m[2]).toBe(turnCredentials(SECRET, 0, "player", expiry).credential);
    const answer = await res.text();
    expect(answer).toMatch(/^v=0/);
    expect(answer).toMatch(/^m=video .*\r?\n(.*\r?\n)*a=sendonly/m);
    expect(answer).toMatch(/^a=candidate:/m);

    const session = base + res.headers.get("location");
    const frag = "a=ice-ufrag:" + /a=ice-ufrag:(\S+)/.exec(sdp)![1] + "\r\na=mid:0\r\na=candidate:1 1 udp 2122260223 127.0.0.1 61764 typ host\r\na=end-of-candidates\r\n";
    const patch = (body: string, headers: Record<string, string> = {}) => fetch(session, { method: "PATCH", headers: { ...auth, "Content-Type": "application/trickle-ice-sdpfrag", ...headers }, body });
    expect((await patch(frag)).status).toBe(204);
    expect((await patch(frag, { "If-Match": res.headers.get("etag")! })).status).toBe(204);
    expect((await patch(frag, { "If-Match": '"0000000000000000"' })).status).toBe(412);
    expect((await patch("a=candidate:garbage")).status).toBe(400);
    expect((await patch(frag.replace(/ice-ufrag:\S+/, "ice-ufrag:restart"))).status).toBe(400);
    expect((await fetch(session, { method: "PATCH", headers: { ...auth, "Content-Type": "text/plain" }, body: frag })).status).toBe(415);
    expect((await fetch(session, { method: "DELETE", headers: auth })).status).toBe(200);
    expect((await fetch(session, { method: "DELETE", headers: auth })).status).toBe(404);
    expect((await patch(frag)).status).toBe(404);
  });

  it("serves one source at /whep/:source, and 404 for an unknown one", async () => {
    const { sdp, pc } = await realOffer();
    peers.push(pc);
    const res = await post(sdp, "/whep/sim");
    expect(res.status).toBe(201);
    await fetch(base + res.headers.get("location"), { method: "DELETE", headers: auth });
    expect((await post(sdp, "/whep/nope")).status).toBe(404);
  });

  it("refuses wrong types, bad SDP, oversized bodies, and too many viewers", async () => {
    const { sdp, pc } = await realOffer();
    peers.push(pc);
    expect((await post(sdp, "/whep", "application/json")).status).toBe(415);
    const bad = await post("v=0\r\nm=video 9 RTP/AVP 0\r\n");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^(offer rejected|offer could not be answered|body is not an SDP offer)/);
    expect((await post(`v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n${"a=x\r\n".repeat(20_000)}`)).status).toBe(413);
    const badPause = await post(sdp, "/whep?paused=screen:sim");
    expect(badPause.status).toBe(400);
    expect(((await badPause.json()) as { error: string }).error).toBe('paused: "screen:sim" is not video:<camera> or audio:<microphone>');
    const created: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await post(sdp);
      expect(r.status).toBe(201);
      created.push(base + r.headers.get("location"));
    }
    const full = await post(sdp);
    expect(full.status).toBe(503);
    expect(full.headers.get("retry-after")).toBe("10");
    for (const url of created) await fetch(url, { method: "DELETE", headers: auth });
  });

  it("bounds what one session may cost: media sections, bundling, candidates, ICE restarts", async () => {
    const errorOf = async (res: Response) => ({ status: res.status, error: ((await res.json()) as { error: string }).error });
    const many = await realOffer(17);
    peers.push(many.pc);
    expect(await errorOf(await post(many.sdp))).toEqual({ status: 400, error: "the offer has 18 media sections; at most 16" });
    const two = await realOffer(2);
    peers.push(two.pc);
    expect(await errorOf(await post(two.sdp.replace(/^a=group:BUNDLE.*\r\n/m, "")))).toEqual({ status: 400, error: "the offer must bundle all its media sections (a=group:BUNDLE), as browsers and WHEP players do" });
    const fake = (i: number) => `a=candidate:${i} 1 udp 2122260223 192.0.2.${i % 250} ${10_000 + i} typ host`;
    const flooded = two.sdp.replace(/^(a=mid:0\r\n)/m, `$1${Array.from({ length: 40 }, (_, i) => fake(i)).join("\r\n")}\r\n`);
    const own = two.sdp.match(/^a=candidate:/gm)?.length ?? 0;
    expect(await errorOf(await post(flooded))).toEqual({ status: 400, error: `the offer has ${40 + own} candidates; at most 32` });

    const { sdp, pc } = await realOffer();
    peers.push(pc);
    const res = await post(sdp);
    expect(res.status).toBe(201);
    const session = base + res.headers.get("location");
    const ufrag = /a=ice-ufrag:(\S+)/.exec(sdp)![1];
    const frag = (lines: string[], u = ufrag) => [`a=ice-ufrag:${u}`, "a=mid:0", ...lines, ""].join("\r\n");
    const patch = (body: string) => fetch(session, { method: "PATCH", headers: { ...auth, "Content-Type": "application/trickle-ice-sdpfrag" }, body });
    // Repeats cost nothing: the same candidate a hundred times is one candidate.
    for (let i = 0; i < 100; i++) expect((await patch(frag([fake(1)]))).status).toBe(204);
    expect((await patch(frag(Array.from({ length: 31 }, (_, i) => fake(i + 2))))).status).toBe(204);
    expect(await errorOf(await patch(frag([fake(99)])))).toEqual({ status: 429, error: "at most 32 candidates per session (or per ICE restart)" });
    // An ICE restart starts a new generation; a second one right after it is refused.
    const restart = (u: string, lines = [fake(1)]) => patch(frag(lines, u).replace("a=mid:0", `a=ice-pwd:${"p".repeat(24)}\r\na=mid:0`));
    // Too many candidates for a restart: refused before anything changed, the session keeps its ICE state.
    const flood = await restart("restart0", Array.from({ length: 40 }, (_, i) => fake(i + 100)));
    expect(flood.status).toBe(429);
    const etag = res.headers.get("etag")!;
    expect((await fetch(session, { method: "PATCH", headers: { ...auth, "Content-Type": "application/trickle-ice-sdpfrag", "If-Match": etag }, body: frag([fake(1)]) })).status).toBe(204);
    expect((await restart("restart1")).status).toBe(200);
    const again = await restart("restart2");
    expect(again.status).toBe(429);
    expect(again.headers.get("retry-after")).toBe("2");
    await fetch(session, { method: "DELETE", headers: auth });
  });

  it("survives fuzzed offers and sdpfrags: never a 5xx, and still serves viewers afterwards", async () => {
    const { sdp: valid, pc } = await realOffer();
    peers.push(pc);
    const lines = valid.split("\r\n").filter(Boolean);
    const mutated = fc
      .tuple(fc.array(fc.nat(lines.length - 1), { maxLength: 8 }), fc.array(fc.string({ maxLength: 60 }), { maxLength: 5 }), fc.boolean())
      .map(([drop, junk, keepHead]) => {
        const out = lines.filter((_, i) => !drop.includes(i));
        junk.forEach((j, i) => out.splice((i * 7) % (out.length + 1), 0, j));
        return (keepHead ? out : out.slice(1)).join("\r\n") + "\r\n";
      });
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated, fc.string({ maxLength: 400 })), async (body) => {
        const res = await post(body);
        expect(res.status).toBeLessThan(500);
        if (res.status === 201) await fetch(base + res.headers.get("location"), { method: "DELETE", headers: auth });
      }),
      { numRuns: 120 },
    );
    const r = await post(valid);
    const session = base + r.headers.get("location");
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 300 }), async (body) => {
        const res = await fetch(session, { method: "PATCH", headers: { ...auth, "Content-Type": "application/trickle-ice-sdpfrag" }, body });
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: 100 },
    );
    await fetch(session, { method: "DELETE", headers: auth });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await post(valid)).status).toBe(201);
  });
});

describe("WHEP sessions that never connect", () => {
  let gateway: Gateway;
  let base: string;
  const peers: RTCPeerConnection[] = [];
  const auth = { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/sdp" };

  beforeAll(async () => {
    ({ gateway, base } = await startWhepGateway({ maxViewers: 2, connectTimeout: "1500ms" }, 0));
  });
  afterAll(async () => {
    await Promise.all(peers.map((p) => p.close()));
    await gateway.stop();
  });

  it("are reclaimed after the connect timeout, so offers that never do ICE cannot fill the viewer cap", async () => {
    // No candidate the gateway could check, and a client that sends no checks of its own.
    const silent = async () => {
      const { sdp, pc } = await realOffer();
      peers.push(pc);
      return fetch(`${base}/whep`, { method: "POST", headers: auth, body: sdp.split("\r\n").filter((l) => !l.startsWith("a=candidate:")).join("\r\n") });
    };
    expect((await silent()).status).toBe(201);
    expect((await silent()).status).toBe(201);
    expect((await silent()).status).toBe(503);
    await new Promise((r) => setTimeout(r, 2500));
    expect((await silent()).status).toBe(201);
  });
});
