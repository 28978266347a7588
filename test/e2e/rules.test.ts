import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, signIn } from "../helpers/browser.js";
import { ADMIN_PASSWORD, GatewayProcess } from "../helpers/gateway.js";
import { NetNs } from "../helpers/netns.js";

const BASE = "http://127.0.0.1:8080/";
const ENGINEER_PASSWORD = "engineer-password-456";
const RULE = "spindle-bearing-high";

describe("an engineer sets a limit in the dashboard, sees it replayed on the recorded warm-up, saves it, and it fires live (Chromium)", () => {
  let ns: NetNs;
  let gateway: GatewayProcess;
  let browser: Browser;
  let engineer: Page;
  let viewer: Page;

  beforeAll(async () => {
    ns = await NetNs.create(10_226);
    gateway = new GatewayProcess(null, ns, ["--scenario", "overheat", "--port", "8080"]);
    await gateway.start();
    browser = await launchChromium(ns.chromiumLauncher());
    const admin = await (await browser.newContext({ locale: "en-US" })).newPage();
    await signIn(admin, ADMIN_PASSWORD, BASE);
    for (const [username, password, role] of [["eng", ENGINEER_PASSWORD, "engineer"], ["watcher", "watcher-password-789", "viewer"]]) {
      const status = await admin.evaluate(async (body) => (await fetch("/api/users", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })).status, { username, password, role });
      expect(status).toBe(201);
    }
    engineer = await (await browser.newContext({ locale: "en-US" })).newPage();
    await signIn(engineer, ENGINEER_PASSWORD, BASE, "eng");
    viewer = await (await browser.newContext({ locale: "en-US" })).newPage();
    await signIn(viewer, "watcher-password-789", BASE, "watcher");
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await ns?.destroy();
  });

  it("offers a limit from the channel page, with a suggested clear level and delay", async () => {
    // Let the overheating bearing leave some history above 60 °C behind.
    await engineer.waitForFunction(() => Number(document.querySelector('[data-channel="spindle.bearing"] .value')?.textContent) > 70, undefined, { timeout: 30_000 });
    await engineer.goto(`${BASE}#/channel/spindle.bearing`);
    await engineer.click("a.quick-threshold");
    await engineer.waitForSelector("#rule-title");
    expect(await engineer.inputValue('input[name="rule-id"]')).toBe(RULE);
    expect(await engineer.inputValue('input[name="rule-channels"]')).toBe("spindle.bearing");
    expect(await engineer.inputValue('input[name="rule-for"]')).toBe("10s");
    const limit = Number(await engineer.inputValue('input[name="rule-limit"]'));
    const clear = Number(await engineer.inputValue('input[name="rule-clear"]'));
    expect(limit).toBeGreaterThan(70);
    expect(clear).toBeLessThan(limit);
    await engineer.waitForSelector("#rule-matches:has-text('Applies to: spindle.bearing')");
  });

  it("checks the rule as it is typed, with the gateway's own messages", async () => {
    await engineer.fill('input[name="rule-limit"]', "60");
    await engineer.fill('input[name="rule-clear"]', "65");
    await engineer.waitForSelector(".problems .error:has-text('when.clear: clear must be at or below the above threshold')");
    expect(await engineer.isDisabled('.rule-form button[type="submit"]')).toBe(true);
    await engineer.fill('input[name="rule-clear"]', "55");
    await engineer.fill('input[name="rule-for"]', "2s");
    await engineer.waitForFunction(() => document.querySelectorAll(".problems .error").length === 0);
  });

  it("replays it over the recorded warm-up: firing drawn on the chart, counted, with the range to choose", async () => {
    await engineer.click('.backtest [data-range-id="1h"]');
    await engineer.waitForFunction(() => Number(document.querySelector(".backtest-summary")?.getAttribute("data-firings")) >= 1, undefined, { timeout: 15_000 });
    expect(await engineer.textContent(".backtest-summary .bt-firings")).toBe("1");
    expect(await engineer.locator(".backtest .channel-chart canvas").count()).toBeGreaterThan(0);
    // A limit the bearing never reached would not have fired.
    await engineer.fill('input[name="rule-limit"]', "500");
    await engineer.fill('input[name="rule-clear"]', "");
    await engineer.waitForFunction(() => document.querySelector(".backtest-summary")?.getAttribute("data-firings") === "0", undefined, { timeout: 15_000 });
    await engineer.fill('input[name="rule-limit"]', "60");
    await engineer.fill('input[name="rule-clear"]', "55");
    await engineer.waitForFunction(() => Number(document.querySelector(".backtest-summary")?.getAttribute("data-firings")) >= 1, undefined, { timeout: 15_000 });
  });

  it("saves it, and the alert fires live without a restart", async () => {
    await engineer.click('.rule-form button[type="submit"]');
    await engineer.waitForSelector(`[data-rule="${RULE}"][data-source="ui"]`);
    expect(await engineer.textContent(`[data-rule="${RULE}"] td:nth-child(2)`)).toBe("> 60 (clear 55) for 2 s");
    expect(await engineer.locator('[data-rule="bearing-hot"][data-source="file"] .source-badge').textContent()).toBe("configuration file");
    await engineer.click('nav a[href="#/"]');
    await engineer.waitForSelector(`[data-alert="${RULE}~spindle.bearing"][data-state="firing"]`, { timeout: 20_000 });
  });

  it("shows the rule's history of changes, and a viewer sees the rules read-only", async () => {
    await engineer.goto(`${BASE}#/rules`);
    await engineer.click(`[data-rule="${RULE}"] button[name="changes"]`);
    await engineer.waitForSelector(`[data-trail="${RULE}"] [data-action="created"]`);
    expect(await engineer.textContent(`[data-trail="${RULE}"] [data-action="created"]`)).toMatch(/created by eng$/);
    await viewer.goto(`${BASE}#/rules`);
    await viewer.waitForSelector(`[data-rule="${RULE}"]`);
    expect(await viewer.locator('a[href="#/rule/new"]').count()).toBe(0);
    expect(await viewer.locator(`[data-rule="${RULE}"] button[name="delete"]`).count()).toBe(0);
    await viewer.click(`[data-rule="${RULE}"] a`);
    await viewer.waitForSelector("#rule-title");
    expect(await viewer.isDisabled('input[name="rule-limit"]')).toBe(true);
    expect(await viewer.locator('.rule-form button[type="submit"]').count()).toBe(0);
  });
});
