import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seriousViolations } from "../helpers/axe.js";
import { launchChromium, signIn } from "../helpers/browser.js";
import { ADMIN_PASSWORD, GatewayProcess } from "../helpers/gateway.js";
import { NetNs } from "../helpers/netns.js";

describe("accessibility: axe-core finds no serious or critical violation (Chromium)", () => {
  let ns: NetNs;
  let gateway: GatewayProcess;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    ns = await NetNs.create(10_223);
    gateway = new GatewayProcess(null, ns, ["--scenario", "overheat", "--port", "8080"]);
    await gateway.start();
    browser = await launchChromium(ns.chromiumLauncher());
    page = await (await browser.newContext({ bypassCSP: true, viewport: { width: 1024, height: 768 } })).newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await ns?.destroy();
  });

  it("on the sign-in page", async () => {
    await page.goto("http://127.0.0.1:8080/");
    await page.waitForSelector("#login:not([hidden])");
    expect(await seriousViolations(page)).toEqual([]);
  });

  it("on the overview, with an alarm firing", async () => {
    await signIn(page, ADMIN_PASSWORD);
    await page.waitForSelector("[data-banner-alert]", { timeout: 30_000 });
    await page.waitForSelector(".thermal[data-stale=\"false\"]");
    expect(await seriousViolations(page)).toEqual([]);
  });

  it("on a channel's page", async () => {
    await page.click('[data-channel="spindle.bearing"] a.name');
    await page.waitForSelector('[data-alarm="bearing-hot~spindle.bearing"]');
    expect(await seriousViolations(page)).toEqual([]);
  });

  it("on the Users and My account pages", async () => {
    await page.click('nav a[href="#/users"]');
    await page.waitForSelector('[data-user="admin"]');
    expect(await seriousViolations(page)).toEqual([]);
    await page.click('nav a[href="#/account"]');
    await page.waitForSelector(".password-form");
    expect(await seriousViolations(page)).toEqual([]);
  });

  it("on the alert rules and a rule's editor with its backtest", async () => {
    await page.click('nav a[href="#/rules"]');
    await page.waitForSelector('[data-rule="bearing-hot"]');
    expect(await seriousViolations(page)).toEqual([]);
    await page.click('a[href="#/rule/new"]');
    await page.waitForSelector(".rule-form");
    await page.fill('input[name="rule-id"]', "a11y");
    await page.fill('input[name="rule-channels"]', "spindle.bearing");
    await page.fill('input[name="rule-limit"]', "60");
    await page.waitForSelector('.backtest-results[data-state="done"]', { timeout: 15_000 });
    expect(await seriousViolations(page)).toEqual([]);
  });
});
