import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seriousViolations } from "../helpers/axe.js";
import { launchChromium, signIn } from "../helpers/browser.js";
import { FakeWallClock } from "../helpers/faketime.js";
import { ADMIN_PASSWORD, GatewayProcess } from "../helpers/gateway.js";
import { NetNs } from "../helpers/netns.js";

/** The dashboard says when the gateway's clock cannot be believed: unsynchronised, or far from the browser's. */
describe("clock warning on the dashboard (Chromium)", () => {
  const clock = new FakeWallClock();
  let ns: NetNs;
  let gateway: GatewayProcess;
  let browser: Browser;
  let page: Page;
  let syncFile: string;
  const warning = () => page.locator("#clock-warning");

  beforeAll(async () => {
    ns = await NetNs.create(10_232);
    gateway = new GatewayProcess(null, ns, ["--port", "8080"]);
    syncFile = join(gateway.dataDir, "..", "synchronized");
    gateway.env = { ...clock.env(), WACHTER_CLOCK_SYNC_FILE: syncFile };
    await gateway.start();
    browser = await launchChromium(ns.chromiumLauncher());
    page = await (await browser.newContext({ bypassCSP: true })).newPage();
    await signIn(page, ADMIN_PASSWORD);
    await page.waitForSelector('body[data-connection="connected"]');
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await ns?.destroy();
    if (existsSync(syncFile)) rmSync(syncFile);
  });

  it("warns while the gateway's clock is not synchronised, in the chosen language, and passes axe", async () => {
    await warning().waitFor({ timeout: 20_000 });
    expect(await warning().textContent()).toContain("The gateway's clock is not synchronised");
    await page.selectOption('select[name="language"]', "de");
    expect(await warning().textContent()).toContain("Die Uhr des Gateways ist nicht synchronisiert");
    await page.selectOption('select[name="language"]', "nl");
    expect(await warning().textContent()).toContain("De klok van de gateway is niet gesynchroniseerd");
    expect(await seriousViolations(page)).toEqual([]);
    await page.selectOption('select[name="language"]', "en");
  }, 30_000);

  it("the warning goes once the clock is synchronised", async () => {
    writeFileSync(syncFile, "");
    await warning().waitFor({ state: "detached", timeout: 40_000 });
  }, 45_000);

  it("warns when the gateway's clock is a minute from the browser's, and stops when they agree", async () => {
    clock.set(60_000);
    await warning().waitFor({ timeout: 15_000 });
    expect(await warning().textContent()).toMatch(/differ by (59|60|61) s/);
    clock.set(0);
    await warning().waitFor({ state: "detached", timeout: 15_000 });
  }, 35_000);
});
