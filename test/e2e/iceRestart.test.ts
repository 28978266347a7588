import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadLink } from "../helpers/badLink.js";
import { launchChromium } from "../helpers/browser.js";
import { API_TOKEN, GatewayProcess } from "../helpers/gateway.js";
import { waitFor } from "../helpers/ports.js";
import { framesDecoded, restartIce, startViewer } from "../helpers/whepPage.js";

/** The id of the browser's selected candidate pair: a new one once a restarted ICE has selected its own. */
const selectedPairId = (page: Page) =>
  page.evaluate(async () => {
    const { pc } = (window as unknown as { viewer: { pc: RTCPeerConnection } }).viewer;
    let id: string | undefined;
    (await pc.getStats()).forEach((s: Record<string, unknown>) => {
      if (s.type === "transport") id = s.selectedCandidatePairId as string | undefined;
    });
    return id;
  });

/**
 * A viewer whose network hiccups restarts ICE (a WHEP PATCH) while the old path still works. The
 * link between the two namespaces drops STUN (a first byte of 0 or 1) for a while, so the new
 * generation's checks cannot succeed yet: RFC 8445 section 9 lets media go on over the selected
 * pair meanwhile, as browsers do, instead of stopping until the checks are through.
 */
describe("ICE restart over a link that still works", () => {
  let link: BadLink;
  let gateway: GatewayProcess;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    link = await BadLink.create(10_244, 5);
    gateway = new GatewayProcess({ http: { host: "0.0.0.0", port: 8080 }, sources: [{ id: "sim", type: "simulated", thermalFps: 8, microphone: false }] }, link.gateway);
    await gateway.start();
    browser = await launchChromium(link.viewer.chromiumLauncher());
    page = await browser.newPage();
    await page.goto(`http://${link.gatewayAddress}:8080/`);
    await startViewer(page, API_TOKEN, 1);
    await waitFor("video", async () => ((await framesDecoded(page)) > 10 ? true : undefined), 20_000);
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await link?.destroy();
  });

  it("keeps sending video on the selected pair until the restarted ICE has selected a new one", async () => {
    const oldPair = await selectedPairId(page);
    const dropStun = (chain: string, dir: string) => `nft add rule inet badlink ${chain} ${dir} wan0 meta l4proto udp @th,64,8 { 0, 1 } drop`;
    await link.gateway.exec(`${dropStun("in", "iifname")} && ${dropStun("out", "oifname")}`);
    expect(await restartIce(page, API_TOKEN)).toEqual({ status: 200, etagChanged: true });
    await gateway.logged("ICE restarted");
    const before = await framesDecoded(page);
    await page.waitForTimeout(3000);
    // The simulated camera's 8 frames a second, for 3 s.
    const during = (await framesDecoded(page)) - before;

    await link.loss(0);
    await waitFor("the restarted ICE to select a pair", async () => ((await selectedPairId(page)) !== oldPair ? true : undefined), 20_000);
    const after = await framesDecoded(page);
    await page.waitForTimeout(1000);
    expect(during).toBeGreaterThan(12);
    expect((await framesDecoded(page)) - after).toBeGreaterThan(4);
  });
});
