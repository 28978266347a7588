import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, signIn } from "../helpers/browser.js";
import { ADMIN_PASSWORD, API_TOKEN, GatewayProcess } from "../helpers/gateway.js";
import { NetNs } from "../helpers/netns.js";
import { waitFor } from "../helpers/ports.js";
import { framesDecoded, hostCandidates, startViewer } from "../helpers/whepPage.js";

/** Chromium as shipped hides host candidates behind `.local` names too; nothing here resolves them. */
describe("Chromium with its own mDNS hiding (private network namespace)", () => {
  let ns: NetNs;
  let gateway: GatewayProcess;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    ns = await NetNs.create(10_219);
    gateway = new GatewayProcess({ http: { host: "0.0.0.0", port: 8080 }, sources: [{ id: "sim", type: "simulated", rateHz: 5, microphone: false }] }, ns);
    await gateway.start();
    browser = await launchChromium(ns.chromiumLauncher(), { asShipped: true });
    page = await browser.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await ns?.destroy();
  });

  it("offers only mDNS host candidates", async () => {
    await page.goto("http://127.0.0.1:8080/healthz");
    const hosts = await hostCandidates(page);
    expect(hosts.length).toBeGreaterThan(0);
    for (const c of hosts) expect(c).toMatch(/ [0-9a-f-]{36}\.local /);
  });

  it("connects the dashboard and shows live values", async () => {
    await signIn(page, ADMIN_PASSWORD);
    await page.waitForSelector('body[data-peer="connected"]', { timeout: 15_000 });
    await page.waitForFunction(() => /^\d+\.\d+$/.test(document.querySelector('[data-channel="spindle.bearing"] .value')?.textContent ?? ""));
  });

  it("plays the thermal video through WHEP", async () => {
    const viewer = await browser.newPage();
    await viewer.goto("http://127.0.0.1:8080/healthz");
    await startViewer(viewer, API_TOKEN, 1);
    await waitFor("video frames decoded", async () => ((await framesDecoded(viewer)) > 10 ? true : undefined), 15_000);
  });

  it("keeps at most 8 data channels open per viewer, closing the rest", async () => {
    const viewer = await browser.newPage();
    await viewer.goto("http://127.0.0.1:8080/healthz");
    await startViewer(viewer, API_TOKEN, 0);
    await viewer.waitForFunction(() => (window as unknown as { viewer: { pc: RTCPeerConnection } }).viewer.pc.connectionState === "connected", undefined, { timeout: 15_000 });
    // startViewer opened two (thermal, spectrum); ten more make twelve.
    await viewer.evaluate(() => {
      const w = window as unknown as { viewer: { pc: RTCPeerConnection }; extra: RTCDataChannel[] };
      w.extra = Array.from({ length: 10 }, (_, i) => w.viewer.pc.createDataChannel(`extra-${i}`));
    });
    const states = () => viewer.evaluate(() => (window as unknown as { extra: RTCDataChannel[] }).extra.map((c) => c.readyState));
    await waitFor("the channels beyond 8 closed", async () => ((await states()).filter((s) => s === "closed").length === 4 ? true : undefined), 10_000);
    expect((await states()).filter((s) => s === "open")).toHaveLength(6);
  });
});
