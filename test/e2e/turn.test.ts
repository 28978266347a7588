import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser.js";
import { API_TOKEN, GatewayProcess } from "../helpers/gateway.js";
import { NetNs } from "../helpers/netns.js";
import { waitFor } from "../helpers/ports.js";
import { Proc } from "../helpers/processes.js";
import { framesDecoded, restartIce, selectedPair, startViewer } from "../helpers/whepPage.js";

const SECRET = "coturn-shared-secret-for-tests-0123";

describe("remote access: TURN relay (coturn in a private network namespace) and ICE restart", () => {
  let ns: NetNs;
  let coturn: Proc;
  let gateway: GatewayProcess;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    ns = await NetNs.create(10_215);
    const dir = mkdtempSync(join(tmpdir(), "wachter-turn-"));
    const conf = join(dir, "turnserver.conf");
    writeFileSync(
      conf,
      [
        "listening-port=3478",
        "listening-ip=10.215.0.1",
        "relay-ip=10.215.0.1",
        "min-port=49160",
        "max-port=49260",
        "realm=wachter.test",
        "use-auth-secret",
        `static-auth-secret=${SECRET}`,
        "fingerprint",
        "no-tls",
        "no-dtls",
        "no-cli",
        "allowed-peer-ip=10.215.0.0-10.215.0.255",
        `pidfile=${join(dir, "turnserver.pid")}`,
        "log-file=stdout",
        "simple-log",
      ].join("\n"),
    );
    const [cmd, args] = ns.wrap("turnserver", ["-c", conf]);
    coturn = new Proc(cmd, args);
    await waitFor("coturn listening", () => /listener opened on|Total General servers/.test(coturn.stdout) || (!coturn.running ? Promise.reject(new Error(coturn.stdout + coturn.stderr)) : undefined), 10_000);
    gateway = new GatewayProcess(
      {
        http: { host: "0.0.0.0", port: 8080 },
        webrtc: { turn: { urls: ["turn:10.215.0.1:3478?transport=udp"], secret: SECRET, ttl: "10m" } },
        sources: [{ id: "sim", type: "simulated", thermalFps: 8, microphone: false }],
      },
      ns,
    );
    await gateway.start();
    browser = await launchChromium(ns.chromiumLauncher());
    page = await browser.newPage();
    await page.goto("http://127.0.0.1:8080/healthz");
    await startViewer(page, API_TOKEN, 1, 0, true);
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await coturn?.stop();
    await ns?.destroy();
  });

  it("connects relay-only with the gateway's time-limited credentials, and media flows", async () => {
    await waitFor("video through the relay", async () => ((await framesDecoded(page)) > 10 ? true : undefined), 20_000);
    expect(await selectedPair(page)).toMatchObject({ local: "relay" });
    // Relay candidates exist only if coturn accepted the credentials, so the connection proves them.
    const servers = await page.evaluate(async (token) => (await fetch("/api/ice-servers", { headers: { Authorization: `Bearer ${token}` } })).json(), API_TOKEN);
    expect(servers).toEqual([{ urls: ["turn:10.215.0.1:3478?transport=udp"], username: expect.stringMatching(/^\d{10}:WACHTER_API_TOKEN$/), credential: expect.any(String) }]);
  });

  it("restarts ICE through a WHEP PATCH without a new session, and media keeps flowing", async () => {
    const before = await framesDecoded(page);
    expect(await restartIce(page, API_TOKEN)).toEqual({ status: 200, etagChanged: true });
    await waitFor("video after the ICE restart", async () => ((await framesDecoded(page)) > before + 20 ? true : undefined), 20_000);
    expect(await page.evaluate(() => (window as unknown as { viewer: { pc: RTCPeerConnection } }).viewer.pc.connectionState)).toBe("connected");
    await gateway.logged("ICE restarted");
  });
});
