import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seriousViolations } from "../helpers/axe.js";
import { launchChromium, signIn } from "../helpers/browser.js";
import { ADMIN_PASSWORD, GatewayProcess } from "../helpers/gateway.js";
import { NetNs } from "../helpers/netns.js";

/** A 10" tablet: 1280 × 800 px on a 254 mm diagonal, about 5.9 px per mm. */
const TABLET = { width: 1280, height: 800 };
const PX_PER_MM = Math.hypot(1280, 800) / 254;

describe("display: light theme, large values, wall mode (Chromium)", () => {
  let ns: NetNs;
  let gateway: GatewayProcess;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    ns = await NetNs.create(10_224);
    gateway = new GatewayProcess(null, ns, ["--scenario", "overheat", "--port", "8080"]);
    await gateway.start();
    browser = await launchChromium(ns.chromiumLauncher());
    page = await (await browser.newContext({ bypassCSP: true, viewport: TABLET })).newPage();
    await signIn(page, ADMIN_PASSWORD);
    await page.waitForSelector('body[data-connection="connected"]');
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await ns?.destroy();
  });

  it("switches to a light theme that keeps its choice and passes axe with an alarm firing", async () => {
    await page.click('button[name="theme"]');
    expect(await page.getAttribute("html", "data-theme")).toBe("light");
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe("rgb(238, 241, 245)");
    await page.reload();
    await page.waitForSelector("#main:not([hidden])");
    expect(await page.getAttribute("html", "data-theme")).toBe("light");
    await page.waitForSelector("[data-banner-alert]", { timeout: 30_000 });
    expect(await seriousViolations(page)).toEqual([]);
    await page.click('button[name="theme"]');
    expect(await page.getAttribute("html", "data-theme")).toBe("dark");
  });

  it("shows values at least 10 mm high on a 10-inch tablet in the large mode", async () => {
    const digitMm = () => page.$eval('[data-channel="spindle.bearing"] .value', (e) => parseFloat(getComputedStyle(e).fontSize) * 0.72);
    expect((await digitMm()) / PX_PER_MM).toBeLessThan(10);
    await page.click('button[name="large"]');
    expect((await digitMm()) / PX_PER_MM).toBeGreaterThanOrEqual(10);
    await page.click('button[name="large"]');
  });

  it("wall mode: nothing to click but the alarms, large values, one group at a time in turn", async () => {
    await page.goto("http://127.0.0.1:8080/#/kiosk");
    await page.waitForSelector('body[data-kiosk="true"]');
    for (const hidden of [".nav-wrap", "#account", '[data-i18n="section.trends"]', "#mics"]) expect(await page.isHidden(hidden), hidden).toBe(true);
    expect(await page.getAttribute("html", "data-size")).toBe("large");
    const visibleGroups = () => page.$$eval(".card-group", (gs) => gs.filter((g) => (g as HTMLElement).offsetParent !== null).map((g) => g.getAttribute("aria-label")));
    await page.waitForFunction(() => document.querySelectorAll('.card-group[data-current="true"]').length === 1);
    const first = await visibleGroups();
    expect(first).toHaveLength(1);
    await page.waitForFunction((f) => [...document.querySelectorAll<HTMLElement>(".card-group")].some((g) => g.offsetParent !== null && g.getAttribute("aria-label") !== f), first[0], { timeout: 15_000 });
    expect(await visibleGroups()).toHaveLength(1);
    expect(await page.isVisible(".alert-banner")).toBe(true);
    await page.keyboard.press("Escape");
    await page.waitForSelector('body[data-kiosk="false"]');
    expect(await page.isVisible(".nav-wrap")).toBe(true);
  }, 40_000);

  it("fits a phone's width: nothing on any page wider than the 390 px screen", async () => {
    const phone = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
    await signIn(phone, ADMIN_PASSWORD);
    for (const hash of ["", "#/channel/spindle.bearing", "#/rules", "#/rule/new/spindle.bearing", "#/users", "#/account"]) {
      await phone.goto(`http://127.0.0.1:8080/${hash}`);
      await phone.waitForSelector('body[data-connection="connected"]');
      await phone.waitForTimeout(500);
      expect(await phone.evaluate(() => document.documentElement.scrollWidth), hash || "overview").toBeLessThanOrEqual(390);
    }
    await phone.context().close();
  });
});
