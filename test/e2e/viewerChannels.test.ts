import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser.js";
import { API_TOKEN, GatewayProcess } from "../helpers/gateway.js";
import { NetNs } from "../helpers/netns.js";
import { startViewer } from "../helpers/whepPage.js";

interface Seen {
  label: string;
  state: string;
  messages: number;
}

type Win = { viewer: { pc: RTCPeerConnection }; theirs: Array<{ dc: RTCDataChannel; messages: number }>; mine?: { dc: RTCDataChannel; messages: number } };

const channels = (page: Page) =>
  page.evaluate(() => {
    const w = window as unknown as Win;
    const seen = (c: { dc: RTCDataChannel; messages: number }): Seen => ({ label: c.dc.label, state: c.dc.readyState, messages: c.messages });
    return { theirs: w.theirs.map(seen), mine: w.mine && seen(w.mine) };
  });

/** A viewer that offers a data section but not the gateway's channels: a generic WHEP player, or a browser on a lossy link whose own channels come late. */
describe("data channels a viewer did not open", () => {
  let ns: NetNs;
  let gateway: GatewayProcess;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    ns = await NetNs.create(10_227);
    gateway = new GatewayProcess({ http: { host: "0.0.0.0", port: 8080 }, sources: [{ id: "sim", type: "simulated", rateHz: 5, microphone: false, thermalFps: 0 }] }, ns);
    await gateway.start();
    browser = await launchChromium(ns.chromiumLauncher());
    page = await browser.newPage();
    await page.goto("http://127.0.0.1:8080/healthz");
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await ns?.destroy();
  });

  it("are opened by the gateway 3 s after the viewer connects, and carry telemetry and alerts", async () => {
    // startViewer opens the thermal and spectrum channels only.
    await startViewer(page, API_TOKEN, 0);
    await page.evaluate(() => {
      const w = window as unknown as Win;
      w.theirs = [];
      w.viewer.pc.ondatachannel = (e) => {
        const c = { dc: e.channel, messages: 0 };
        e.channel.onmessage = () => c.messages++;
        w.theirs.push(c);
      };
    });
    await page.waitForFunction(() => (window as unknown as Win).theirs.find((c) => c.dc.label === "telemetry" && c.messages > 1), undefined, { timeout: 15_000 });
    const { theirs } = await channels(page);
    expect(theirs.map((c) => c.label).sort()).toEqual(["alerts", "telemetry"]);
    // The alerts stream starts with its snapshot of active alerts (none here).
    expect(theirs.find((c) => c.label === "alerts")!.messages).toBeGreaterThan(0);
  });

  it("give way to the viewer's own channel of the same label when it comes late", async () => {
    await page.evaluate(() => {
      const w = window as unknown as Win;
      const c = { dc: w.viewer.pc.createDataChannel("telemetry"), messages: 0 };
      c.dc.onmessage = () => c.messages++;
      w.mine = c;
    });
    await page.waitForFunction(() => {
      const w = window as unknown as Win;
      return w.mine!.messages > 1 && w.theirs.find((c) => c.dc.label === "telemetry")!.dc.readyState === "closed";
    }, undefined, { timeout: 15_000 });
    const before = await channels(page);
    await page.waitForTimeout(1500);
    const after = await channels(page);
    // The simulated machine reports at 5 Hz: its readings now reach the viewer once, on its own channel.
    expect(after.mine!.messages - before.mine!.messages).toBeGreaterThan(2);
    expect(after.theirs.find((c) => c.label === "telemetry")).toEqual({ label: "telemetry", state: "closed", messages: before.theirs.find((c) => c.label === "telemetry")!.messages });
    expect(after.theirs.find((c) => c.label === "alerts")!.state).toBe("open");
  });

  it("are only those the viewer has not opened itself", async () => {
    const viewer = await browser.newPage();
    await viewer.goto("http://127.0.0.1:8080/healthz");
    await startViewer(viewer, API_TOKEN, 0);
    await viewer.evaluate(() => {
      const w = window as unknown as Win;
      w.theirs = [];
      w.viewer.pc.ondatachannel = (e) => w.theirs.push({ dc: e.channel, messages: 0 });
      const c = { dc: w.viewer.pc.createDataChannel("alerts"), messages: 0 };
      c.dc.onmessage = () => c.messages++;
      w.mine = c;
    });
    await viewer.waitForFunction(() => (window as unknown as Win).theirs.length > 0, undefined, { timeout: 15_000 });
    await viewer.waitForTimeout(1000);
    const { theirs, mine } = await channels(viewer);
    expect(theirs.map((c) => c.label)).toEqual(["telemetry"]);
    expect(mine).toMatchObject({ label: "alerts", state: "open" });
    expect(mine!.messages).toBeGreaterThan(0);
  });
});
