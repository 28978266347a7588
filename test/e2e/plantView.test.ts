import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seriousViolations } from "../helpers/axe.js";
import { launchChromium, signIn } from "../helpers/browser.js";
import { ADMIN_PASSWORD, GatewayProcess } from "../helpers/gateway.js";
import { Mosquitto } from "../helpers/mosquitto.js";
import { NetNs } from "../helpers/netns.js";

const BASE = "http://127.0.0.1:8080/";
const sim = { id: "sim", type: "simulated", microphone: false, thermalFps: 0, rateHz: 2 };

describe("the plant view in Chromium: three gateways on one Mosquitto, in a private network namespace", () => {
  let ns: NetNs;
  let broker: Mosquitto;
  const gateways: Record<string, GatewayProcess> = {};
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    ns = await NetNs.create(10_246);
    broker = new Mosquitto(ns);
    await broker.start();
    const machines = [
      { id: "screen", name: "Hall 2 screen", port: 8080, hall: "Hall 2", rules: [] as object[], view: true },
      { id: "mill", name: "Extruder 3 barrel zone 7 — main drive bearing", port: 8081, hall: "Hall 2", rules: [{ id: "bearing-hot", name: "Drive bearing hot", channels: ["spindle.bearing"], severity: "critical", when: { above: 5 } }], view: false },
      { id: "press", name: "Press 1", port: 8082, hall: "Hall 3", rules: [{ id: "oil-warm", name: "Gearbox oil warm", channels: ["gearbox.oil"], severity: "warning", when: { above: 5 } }], view: false },
    ];
    for (const m of machines) {
      gateways[m.id] = new GatewayProcess(
        {
          name: m.name,
          http: { host: "127.0.0.1", port: m.port },
          sources: [sim],
          alerts: { rules: m.rules },
          plant: { broker: { url: `mqtt://127.0.0.1:${broker.port}`, id: m.id, hall: m.hall, interval: "2s", keyValues: ["spindle.bearing", "gearbox.oil"], dashboardUrl: `http://127.0.0.1:${m.port}/`, view: m.view } },
        },
        ns,
      );
    }
    await Promise.all(Object.values(gateways).map((g) => g.start()));
    browser = await launchChromium(ns.chromiumLauncher());
    // bypassCSP: axe-core is injected as a script of its own.
    page = await (await browser.newContext({ locale: "en-US", viewport: { width: 1024, height: 768 }, bypassCSP: true })).newPage();
    await signIn(page, ADMIN_PASSWORD, BASE);
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(Object.values(gateways).map((g) => g.stop()));
    await broker?.stop();
    await ns?.destroy();
  });

  it("is in the top bar where the gateway serves it, and lists the machines that need attention first", async () => {
    await page.click('nav a[href="#/plant"]');
    await page.waitForFunction(() => document.querySelectorAll(".plant-machine").length === 3 && document.querySelector('.plant-machine[data-machine="press"]')?.getAttribute("data-state") === "warning");
    expect(await page.locator(".plant-machine").evaluateAll((els) => els.map((e) => [e.getAttribute("data-machine"), e.getAttribute("data-state")]))).toEqual([
      ["mill", "critical"],
      ["press", "warning"],
      ["screen", "ok"],
    ]);
    const mill = page.locator('.plant-machine[data-machine="mill"]');
    // The whole long name, the state and the alarm in words, not colour alone.
    expect(await mill.locator(".machine-name").textContent()).toBe("Extruder 3 barrel zone 7 — main drive bearing");
    expect(await mill.locator(".machine-state").textContent()).toBe("▲ Critical");
    expect(await mill.locator('[data-alert="bearing-hot~spindle.bearing"]').textContent()).toMatch(/^▲ Critical Drive bearing hot · .+ · not acknowledged$/);
    expect(await mill.locator('[data-value="spindle.bearing"] dd').textContent()).toMatch(/^\d+\.\d °C$/);
    expect(await mill.locator("a.machine-open").getAttribute("href")).toBe("http://127.0.0.1:8081/");
    expect(await page.locator('.plant-halls [data-hall="Hall 2"]').textContent()).toBe("Hall 2▲ 1 Critical✓ 1 OK");
    expect(await seriousViolations(page)).toEqual([]);
  });

  it("filters by hall", async () => {
    await page.click('.plant-halls [data-hall="Hall 3"]');
    await page.waitForFunction(() => document.querySelectorAll(".plant-machine").length === 1);
    expect(await page.locator(".plant-machine").getAttribute("data-machine")).toBe("press");
    await page.click(".plant-halls button >> nth=0");
    await page.waitForFunction(() => document.querySelectorAll(".plant-machine").length === 3);
  });

  it("shows a machine whose gateway dies as offline within seconds, and speaks German", async () => {
    await gateways.press.stop("SIGKILL");
    await page.waitForSelector('.plant-machine[data-machine="press"][data-state="offline"]', { timeout: 5000 });
    await page.selectOption('select[name="language"]', "de");
    await page.waitForFunction(() => document.querySelector('.plant-machine[data-machine="press"] .machine-state')?.textContent === "✕ Offline");
    expect(await page.textContent("#plant-title")).toBe("Werk");
    expect(await page.textContent('.plant-machine[data-machine="mill"] .machine-state')).toBe("▲ Kritisch");
    expect(await page.textContent('.plant-machine[data-machine="mill"] a.machine-open')).toBe("Dashboard öffnen");
    await page.selectOption('select[name="language"]', "en");
  });

  it("says when its broker is lost, shows nobody as OK meanwhile, and recovers", async () => {
    await broker.stop();
    await page.waitForSelector(".plant-broker-down", { timeout: 10_000 });
    await page.waitForFunction(() => document.querySelector('.plant-machine[data-machine="screen"]')?.getAttribute("data-state") === "unknown");
    // What it said last may be the will Mosquitto sent for it as it stopped.
    expect(await page.textContent('.plant-machine[data-machine="screen"] .machine-state')).toMatch(/^\? Unknown \(last said: (OK|Offline)\)$/);
    expect(await page.locator('.plant-machine[data-state="ok"]').count()).toBe(0);
    await broker.start();
    await page.waitForSelector('.plant-machine[data-machine="mill"][data-state="critical"]', { timeout: 40_000 });
    await page.waitForFunction(() => !document.querySelector(".plant-broker-down"));
  });
});
