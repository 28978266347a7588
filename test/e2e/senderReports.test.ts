import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser.js";
import { API_TOKEN, GatewayProcess } from "../helpers/gateway.js";
import { NetNs } from "../helpers/netns.js";
import { waitFor } from "../helpers/ports.js";
import { startViewer } from "../helpers/whepPage.js";

interface Report {
  kind: string;
  /** When Chromium received the sender report (its local clock). */
  received: number;
  /** The report's NTP timestamp, as Chromium reads it (ms since 1970). */
  sent: number;
}

/** The remote-outbound-rtp stats of each kind, as Chromium builds them from the gateway's RTCP sender reports. */
async function reports(page: Page): Promise<Report[]> {
  return page.evaluate(async () => {
    const { pc } = (window as unknown as { viewer: { pc: RTCPeerConnection } }).viewer;
    const out: Array<{ kind: string; received: number; sent: number }> = [];
    (await pc.getStats()).forEach((s) => {
      if (s.type === "remote-outbound-rtp") out.push({ kind: s.kind, received: s.timestamp, sent: s.remoteTimestamp });
    });
    return out;
  });
}

describe("RTCP sender reports in headless Chromium (private network namespace)", () => {
  let ns: NetNs;
  let gateway: GatewayProcess;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    ns = await NetNs.create(10_218);
    gateway = new GatewayProcess({ http: { host: "0.0.0.0", port: 8080 }, sources: [{ id: "sim", type: "simulated", rateHz: 5, thermalFps: 8 }] }, ns);
    await gateway.start();
    browser = await launchChromium(ns.chromiumLauncher());
    page = await browser.newPage();
    await page.goto("http://127.0.0.1:8080/healthz");
    await startViewer(page, API_TOKEN, 1, 1);
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await ns?.destroy();
  });

  // The receiver pairs each report's NTP time with its RTP time to place audio and video on one
  // clock (lip sync) and to estimate the sender's clock. werift 0.25.2 wrote the fraction of a
  // second as decimal digits, so its reports were up to a second off, and differently per track.
  it("stamps each report with the wall-clock time of its last packet, not a whole second", async () => {
    const seen = new Set<string>();
    const distinct: Report[] = [];
    await waitFor("five sender reports of each kind", async () => {
      for (const r of await reports(page)) {
        const key = `${r.kind} ${r.sent}`;
        if (!seen.has(key)) {
          seen.add(key);
          distinct.push(r);
        }
      }
      return ["audio", "video"].every((k) => distinct.filter((r) => r.kind === k).length >= 5) ? true : undefined;
    }, 30_000, 100);
    for (const r of distinct) {
      // Reported after the packet it describes: by the gap between two packets of the track
      // (audio 20 ms, video at 8 frames/s 125 ms) and the loopback's delay, more on a busy machine.
      const late = r.received - r.sent;
      expect(late, `${r.kind} report ${JSON.stringify(r)}`).toBeGreaterThanOrEqual(-5);
      expect(late, `${r.kind} report ${JSON.stringify(r)}`).toBeLessThan(500);
    }
    // werift 0.25.2's reports fell on (a fraction of a millisecond past) whole seconds.
    expect(distinct.filter((r) => r.sent % 1000 >= 1).length).toBeGreaterThan(distinct.length / 2);
  });
});
