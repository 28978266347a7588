import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seriousViolations } from "../helpers/axe.js";
import { launchChromium, signIn } from "../helpers/browser.js";
import { ADMIN_PASSWORD, GatewayProcess } from "../helpers/gateway.js";
import { NetNs } from "../helpers/netns.js";
import { SmallDisk } from "../helpers/smallDisk.js";

/** The dashboard says when the gateway cannot write to its disk, and that live values and alarms go on. */
describe("storage warning on the dashboard (Chromium, dataDir on a full 4 MiB tmpfs)", () => {
  const disk = new SmallDisk();
  let ns: NetNs;
  let gateway: GatewayProcess;
  let browser: Browser;
  let page: Page;
  const warning = () => page.locator("#storage-warning");

  beforeAll(async () => {
    disk.mount();
    ns = await NetNs.create(10_243);
    gateway = new GatewayProcess(
      { dataDir: join(disk.path, "data"), history: { rawInterval: 0, flushInterval: "200ms" }, sources: [{ id: "sim", type: "simulated", rateHz: 20, thermalFps: 0, microphone: false }] },
      ns,
      ["--port", "8080"],
    );
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
    disk.unmount();
  });

  it("warns once history cannot be written, in the chosen language, and passes axe", async () => {
    expect(await warning().count()).toBe(0);
    disk.fill();
    await warning().waitFor({ timeout: 60_000 });
    expect(await warning().textContent()).toMatch(/^The gateway cannot write to its disk since \d\d:\d\d( [AP]M)? \(.*history.*\)\. Live values and alarms go on/);
    await page.selectOption('select[name="language"]', "de");
    expect(await warning().textContent()).toContain("Das Gateway kann seit");
    expect(await warning().textContent()).toContain("Verlauf");
    await page.selectOption('select[name="language"]', "nl");
    expect(await warning().textContent()).toContain("De gateway kan sinds");
    expect(await seriousViolations(page)).toEqual([]);
    await page.selectOption('select[name="language"]', "en");
    // Live values go on meanwhile.
    const value = () => page.textContent('[data-channel="spindle.bearing"] .value');
    const before = await value();
    await page.waitForFunction((b) => document.querySelector('[data-channel="spindle.bearing"] .value')?.textContent !== b, before, { timeout: 10_000 });
  }, 90_000);

  it("the warning goes once there is room again", async () => {
    disk.free();
    await warning().waitFor({ state: "detached", timeout: 40_000 });
  }, 45_000);
});
