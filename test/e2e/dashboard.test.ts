import { appendFile } from "node:fs/promises";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser.js";
import { ADMIN_PASSWORD, GatewayProcess } from "../helpers/gateway.js";
import { NetNs } from "../helpers/netns.js";
import { PtyPair } from "../helpers/socat.js";

const valueOf = (channel: string) => `[data-channel="${channel}"] .value`;

describe("dashboard end to end in headless Chromium (private network namespace)", () => {
  let ns: NetNs;
  let pair: PtyPair;
  let gateway: GatewayProcess;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    ns = await NetNs.create(10_211);
    pair = new PtyPair();
    await pair.start();
    gateway = new GatewayProcess(
      {
        name: "Test press",
        http: { host: "0.0.0.0", port: 8080 },
        alerts: { rules: [{ id: "press-hot", name: "Press bearing hot", channels: ["press.bearing"], severity: "warning", when: { above: 60, clear: 50 } }] },
        sources: [
          { id: "board", type: "serial", path: pair.device, format: { type: "kv" }, staleAfter: "1500ms", fields: { t: { channel: "press.bearing", name: "Main bearing", decimals: 2, group: "Press / bearings" } } },
          { id: "sim", type: "simulated", rateHz: 5 },
        ],
      },
      ns,
    );
    await gateway.start();
    browser = await launchChromium(ns.chromiumLauncher());
    page = await browser.newPage();
    await page.goto("http://127.0.0.1:8080/");
  });

  it("asks for a password first and refuses a wrong one", async () => {
    await page.waitForSelector("#login:not([hidden])");
    await page.fill('input[name="username"]', "admin");
    await page.fill('input[name="password"]', "not-the-password");
    await page.click('button[type="submit"]');
    await page.waitForFunction(() => document.getElementById("login-error")?.textContent === "wrong username or password");
    await page.fill('input[name="password"]', ADMIN_PASSWORD);
    await page.click('button[type="submit"]');
    await page.waitForSelector("#main:not([hidden])");
    expect(await page.textContent("#account-name")).toBe("admin · admin");
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await pair?.unplug();
    await ns?.destroy();
  });

  it("connects over WebRTC and shows every channel with live values", async () => {
    await page.waitForSelector('body[data-connection="connected"]', { timeout: 10_000 });
    await page.waitForSelector('body[data-peer="connected"]', { timeout: 10_000 });
    await page.waitForFunction(() => document.querySelectorAll("[data-channel]").length === 6);
    expect(await page.locator(".machine").textContent()).toBe("Test press");
    // Cards by machine part: the configured group, the simulated machine's own groups.
    expect(await page.locator(".card-group .group-name").allTextContents()).toEqual(["Press / bearings", "Machine", "Spindle"]);
    expect(await page.locator('.card-group[aria-label="Spindle"] [data-channel]').evaluateAll((cards) => cards.map((c) => c.getAttribute("data-channel")))).toEqual(["motor.winding", "spindle.bearing", "gearbox.oil"]);
    await page.waitForFunction((sel) => /^\d+\.\d+$/.test(document.querySelector(sel)?.textContent ?? ""), valueOf("spindle.bearing"));
  });

  // How fast is measured in bench/ (tty → browser latency); a timed bound here would only measure the CI machine's load.
  it("shows each value written to the serial tty", async () => {
    for (const value of ["41.25", "57.5", "63.75"]) {
      await appendFile(pair.board, `t=${value}\n`);
      await page.waitForFunction(([sel, v]) => document.querySelector(sel!)?.textContent === v, [valueOf("press.bearing"), Number(value).toFixed(2)], { timeout: 10_000 });
    }
    expect(await page.getAttribute('[data-channel="press.bearing"]', "data-stale")).toBe("false");
  });

  it("marks the channel stale when the board stops sending", async () => {
    await page.waitForSelector('[data-channel="press.bearing"][data-stale="true"]', { timeout: 5000 });
    await appendFile(pair.board, "t=30\n");
    await page.waitForSelector('[data-channel="press.bearing"][data-stale="false"]', { timeout: 2000 });
  });

  it("lists alerts with a choice of shelving time, and offers nothing to do on a resolved one", async () => {
    // 63.75 fired the warning; 30 resolved it.
    const row = '[data-alert="press-hot~press.bearing"]';
    await page.waitForSelector(`${row}[data-state="resolved"]`, { timeout: 5000 });
    expect(await page.textContent(`${row} .state`)).toBe("resolved");
    expect(await page.locator(`${row} button, ${row} select`).count()).toBe(0);
    await appendFile(pair.board, "t=65\n");
    await page.waitForSelector(`${row}[data-state="firing"]`, { timeout: 5000 });
    await page.selectOption(`${row} select`, String(8 * 3_600_000));
    await page.waitForFunction((r) => document.querySelector(`${r} .alert-foot`)?.textContent?.includes("shelved for 8.0 h"), row, { timeout: 5000 });
    await appendFile(pair.board, "t=30\n");
    await page.waitForSelector(`${row}[data-state="resolved"]`, { timeout: 5000 });
  });

  it("draws one trend per machine part and unit, with the newest values in the legend without hovering, and keeps a drag-zoom until a double click", async () => {
    // The camera's and microphone's derived channels have no configured part: they go by their source.
    expect(await page.locator(".trend-title").allTextContents()).toEqual(["Press / bearings · °C", "Machine · °C", "Spindle · °C", "sim · °C", "sim · dB"]);
    const chart = '.chart[data-group="Spindle"][data-unit="°C"]';
    await page.locator(chart).scrollIntoViewIfNeeded();
    await page.waitForFunction((c) => [...document.querySelectorAll(`${c} .u-legend .u-series:not(:first-child) .u-value`)].some((v) => /\d/.test(v.textContent ?? "")), chart);
    const box = (await page.locator(`${chart} .u-over`).boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    expect(await page.getAttribute(chart, "data-zoomed")).toBe("true");
    await page.waitForTimeout(1500);
    expect(await page.getAttribute(chart, "data-zoomed")).toBe("true");
    await page.dblclick(`${chart} .u-over`);
    expect(await page.getAttribute(chart, "data-zoomed")).toBe("false");
  });

  it("reconnects by itself after the gateway restarts", async () => {
    expect(await gateway.stop()).toBe(0);
    await page.waitForSelector('body[data-connection="reconnecting"]', { timeout: 10_000 });
    // Nobody can miss that nothing is live: a notice under the top bar, greyed pictures, no "live" pill.
    expect(await page.isVisible("#link-lost")).toBe(true);
    expect(await page.textContent("#link-lost")).toBe("Connection to the gateway lost: nothing on this page is live. Reconnecting…");
    expect(await page.getAttribute(".thermal", "data-link")).toBe("lost");
    expect(await page.textContent(".thermal .pill")).toBe("not live");
    expect(await page.textContent(".mic .pill")).toBe("not live");
    // The pill says why and when it tries again, in the operator's language.
    await page.waitForFunction(() => / retrying in \d+ s$/.test(document.getElementById("connection")?.title ?? ""));
    await page.selectOption('select[name="language"]', "de");
    await page.waitForFunction(() => / neuer Versuch in \d+ s$/.test(document.getElementById("connection")?.title ?? ""));
    await page.selectOption('select[name="language"]', "en");
    await gateway.start();
    await page.waitForSelector('body[data-connection="connected"]', { timeout: 20_000 });
    expect(await page.isVisible("#link-lost")).toBe(false);
    await page.waitForFunction(() => document.querySelector(".thermal .pill")?.textContent === "live");
    // The restarted gateway opens the tty anew; the 1 s bound for a running one is tested above.
    await appendFile(pair.board, "t=77.5\n");
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === "77.50", valueOf("press.bearing"), { timeout: 10_000 });
  });
});
