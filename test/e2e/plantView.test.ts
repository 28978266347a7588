import { copyFileSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seriousViolations } from "../helpers/axe.js";
import { launchChromium, signIn } from "../helpers/browser.js";
import { ADMIN_PASSWORD, GatewayProcess } from "../helpers/gateway.js";
import { Mosquitto } from "../helpers/mosquitto.js";
import { NamespacedFirefox, signInFirefox } from "../helpers/firefox.js";
import { NetNs } from "../helpers/netns.js";
import { makePlantKeyPair } from "../helpers/plantKeys.js";
import { waitFor } from "../helpers/ports.js";

const BASE = "http://127.0.0.1:8080/";
const sim = { id: "sim", type: "simulated", microphone: false, thermalFps: 0, rateHz: 2 };
/** The machines the screen shows live: a camera and a microphone. */
const simLive = { ...sim, microphone: true, thermalFps: 4 };

/** What the mill's and the press's live tiles show, read from the page (a script, for either browser's driver). */
const LIVE_TILES = `["mill", "press"].map((id) => {
  const tile = document.querySelector('.plant-machine[data-machine="' + id + '"] .machine-live');
  const video = tile && tile.querySelector("video");
  const meter = tile && tile.querySelector("meter");
  return { id, live: tile && tile.getAttribute("data-live"), width: video ? video.videoWidth : 0, level: meter ? meter.value : 0, text: tile && tile.textContent };
})`;
type LiveTile = { id: string; live: string | null; width: number; level: number; text: string | null };

/** Waits until both tiles are live with a decoded picture and a sound level above silence; says what they show if not. */
async function bothLive(evaluate: (script: string) => Promise<unknown>, timeoutMs: number): Promise<void> {
  let tiles: LiveTile[] = [];
  await waitFor(
    "the mill's and the press's pictures and sound",
    async () => {
      tiles = (await evaluate(LIVE_TILES)) as LiveTile[];
      return tiles.every((t) => t.live === "live" && t.width > 0 && t.level > 0) || undefined;
    },
    timeoutMs,
    250,
  ).catch((err: Error) => {
    throw new Error(`${err.message}: ${JSON.stringify(tiles)}`);
  });
}

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
      // An info alarm: the screen stays OK, but its tile has an alarm that an unpinned machine must not offer to act on.
      { id: "screen", name: "Hall 2 screen", port: 8080, hall: "Hall 2", rules: [{ id: "running", name: "Running", channels: ["spindle.bearing"], severity: "info", when: { above: 5 } }] as object[], view: true },
      { id: "mill", name: "Extruder 3 barrel zone 7 — main drive bearing", port: 8081, hall: "Hall 2", rules: [{ id: "bearing-hot", name: "Drive bearing hot", channels: ["spindle.bearing"], severity: "critical", when: { above: 5 } }], view: false },
      { id: "press", name: "Press 1", port: 8082, hall: "Hall 3", rules: [{ id: "oil-warm", name: "Gearbox oil warm", channels: ["gearbox.oil"], severity: "warning", when: { above: 5 } }], view: false },
    ];
    // Plant single sign-on: the screen issues tokens, and acts on the mill and the press through
    // their pinned URLs; they trust the plant's key and the screen's origin. The screen itself is not pinned.
    const privateKey = join(mkdtempSync(join(tmpdir(), "wachter-plant-keys-")), "plant-sso.key");
    const plant = (m: (typeof machines)[number]) => {
      const broker_ = { url: `mqtt://127.0.0.1:${broker.port}`, id: m.id, hall: m.hall, interval: "2s", keyValues: ["spindle.bearing", "gearbox.oil"], dashboardUrl: `http://127.0.0.1:${m.port}/`, view: m.view };
      if (m.view) return { sso: { audience: m.id, issuer: { privateKeyFile: privateKey } }, broker: { ...broker_, machines: { mill: "http://127.0.0.1:8081/", press: "http://127.0.0.1:8082/" } } };
      return { sso: { audience: m.id, trustedKeys: ["plant-sso.pub"] }, broker: broker_ };
    };
    for (const m of machines) {
      gateways[m.id] = new GatewayProcess(
        {
          name: m.name,
          http: { host: "127.0.0.1", port: m.port, ...(m.view ? {} : { corsOrigins: [BASE.slice(0, -1)] }) },
          sources: [m.view ? sim : simLive],
          alerts: { rules: m.rules },
          plant: plant(m),
        },
        ns,
      );
    }
    const publicKey = join(gateways.mill.dataDir, "plant-sso.pub");
    for (const id of ["mill", "press"]) mkdirSync(gateways[id]!.dataDir, { recursive: true });
    makePlantKeyPair(privateKey, publicKey);
    copyFileSync(publicKey, join(gateways.press.dataDir, "plant-sso.pub"));
    await Promise.all(Object.values(gateways).map((g) => g.start()));
    browser = await launchChromium(ns.chromiumLauncher());
    // bypassCSP: axe-core is injected as a script of its own.
    page = await (await browser.newContext({ locale: "en-US", viewport: { width: 1024, height: 768 }, bypassCSP: true })).newPage();
    await signIn(page, ADMIN_PASSWORD, BASE);
  });

  /**
   * A page signed in on the screen, in a context of its own: the gateway's Content-Security-Policy
   * applies there (the shared page bypasses it for axe-core), and it has its own cookie jar (the
   * gateways share a host here, and ports do not part cookies).
   */
  const signedInUnderCsp = async () => {
    const strict = await browser.newContext({ locale: "en-US", viewport: { width: 1024, height: 768 } });
    const p = await strict.newPage();
    await signIn(p, ADMIN_PASSWORD, BASE);
    return { strict, p };
  };

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
    // The mill is pinned in the screen's configuration: its alarm can be acknowledged from here.
    expect(await mill.locator('[data-alert="bearing-hot~spindle.bearing"]').textContent()).toMatch(/^▲ Critical Drive bearing hot · .+ · not acknowledgedAcknowledge$/);
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

  it("acknowledges the mill's alarm on the mill's own gateway, through its pinned URL and under the page's CSP; offers it nowhere else", async () => {
    const { strict, p } = await signedInUnderCsp();
    try {
      const headers = await p.evaluate(async () => {
        const res = await fetch("/");
        return { csp: res.headers.get("content-security-policy")!, referrer: res.headers.get("referrer-policy") };
      });
      expect(headers.csp).toContain("connect-src 'self' http://127.0.0.1:8081 http://127.0.0.1:8082;");
      expect(headers.csp).toContain("form-action 'self' http://127.0.0.1:8081 http://127.0.0.1:8082;");
      expect(headers.referrer).toBe("strict-origin");
      await p.click('nav a[href="#/plant"]');
      const alarm = '.plant-machine[data-machine="mill"] [data-alert="bearing-hot~spindle.bearing"]';
      await p.waitForSelector(`${alarm} button.machine-ack`);
      expect(await p.getAttribute(`${alarm} button.machine-ack`, "aria-label")).toBe("Acknowledge Drive bearing hot on Extruder 3 barrel zone 7 — main drive bearing");
      // The screen itself is not pinned in its configuration: its firing alarm offers nothing, no live view either.
      await p.waitForSelector('.plant-machine[data-machine="screen"] [data-alert="running~spindle.bearing"][data-alert-state="firing"]');
      expect(await p.locator('.plant-machine[data-machine="screen"] button').count()).toBe(0);
      await p.click(`${alarm} button.machine-ack`);
      // What the mill announces next: the ack landed there, by the screen's user.
      await p.waitForFunction((sel) => document.querySelector(sel)?.textContent?.endsWith("acknowledged by admin@screen"), alarm, { timeout: 15_000 });
      expect(await p.locator(`${alarm} button.machine-ack`).count()).toBe(0);
      expect(await p.locator(".plant .error").count()).toBe(0);
    } finally {
      await strict.close();
    }
    expect(gateways.screen.logs().some((l) => l.msg === "plant token issued" && l.audience === "mill")).toBe(true);
  }, 60_000);

  it("opens the mill's dashboard signed in, in a new tab, as the screen's user with the mill's capped role; an unpinned machine's link stays a plain link", async () => {
    const { strict, p } = await signedInUnderCsp();
    try {
      await p.click('nav a[href="#/plant"]');
      await p.waitForSelector('.plant-machine[data-machine="screen"] a.machine-open');
      expect(await p.getAttribute('.plant-machine[data-machine="screen"] a.machine-open', "href")).toBe("http://127.0.0.1:8080/");
      const [tab] = await Promise.all([strict.waitForEvent("page"), p.click('.plant-machine[data-machine="mill"] a.machine-open')]);
      await tab.waitForSelector("#main:not([hidden])", { timeout: 15_000 }).catch(async (err: Error) => {
        throw new Error(`${err.message}; the tab shows ${tab.url()}: ${await tab.textContent("body")}`);
      });
      expect(new URL(tab.url()).origin).toBe("http://127.0.0.1:8081");
      expect(await tab.evaluate(async () => (await fetch("/api/me")).json())).toMatchObject({ name: "admin@screen", role: "operator", via: "plant" });
      expect(gateways.mill.logs().some((l) => l.msg === "signed in from the plant view" && l.username === "admin@screen")).toBe(true);
    } finally {
      await strict.close();
    }
  }, 60_000);

  it("shows the mill and the press live at once: each tile's thermal picture and sound level over its own direct connection", async () => {
    const { strict, p } = await signedInUnderCsp();
    try {
      await p.click('nav a[href="#/plant"]');
      await p.waitForSelector('.plant-machine[data-machine="press"] button[name="live"]');
      const sessions = () => Object.fromEntries(Object.entries(gateways).map(([id, g]) => [id, g.logs().filter((l) => l.msg === "viewer session created").length]));
      const before = sessions();
      for (const id of ["mill", "press"]) await p.click(`.plant-machine[data-machine="${id}"] button[name="live"]`);
      await bothLive((script) => p.evaluate(script), 20_000);
      // Direct: each machine's gateway made one more viewer session, the screen's none.
      expect(sessions()).toEqual({ screen: before.screen, mill: before.mill! + 1, press: before.press! + 1 });
      // Stopping a tile ends its session on the machine's gateway at once (by WHEP DELETE, or the
      // connection's close arriving first), not after the gateway's timeouts.
      const left = () => gateways.mill.logs().filter((l) => l.msg === "viewer session closed" && (l.reason === "viewer left" || l.reason === "viewer closed the connection")).length;
      const leftBefore = left();
      await p.click('.plant-machine[data-machine="mill"] button[name="live"]');
      await p.waitForSelector('.plant-machine[data-machine="mill"] .machine-live[data-live="off"]');
      await waitFor("the mill's session left", () => (left() > leftBefore ? true : undefined), 5000);
    } finally {
      await strict.close();
    }
  }, 60_000);

  it("in Firefox ESR too: the mill and the press live at once, each picture and sound level decoded", async () => {
    const firefox = await NamespacedFirefox.launch(ns);
    try {
      const ff = await firefox.browser.newPage();
      await signInFirefox(ff, ADMIN_PASSWORD, BASE);
      // The Plant link comes with the gateway's first snapshot.
      await ff.waitForSelector('nav a[href="#/plant"]', { timeout: 15_000 });
      await ff.click('nav a[href="#/plant"]');
      await ff.waitForSelector('.plant-machine[data-machine="press"] button[name="live"]');
      for (const id of ["mill", "press"]) await ff.click(`.plant-machine[data-machine="${id}"] button[name="live"]`);
      await bothLive((script) => ff.evaluate(script), 30_000);
    } finally {
      await firefox.close();
    }
  }, 90_000);

  it("shows a machine whose gateway dies as offline within seconds, and speaks German", async () => {
    await gateways.press.stop("SIGKILL");
    await page.waitForSelector('.plant-machine[data-machine="press"][data-state="offline"]', { timeout: 5000 });
    // Its live view says why there is none.
    await page.click('.plant-machine[data-machine="press"] button[name="live"]');
    await page.waitForSelector('.plant-machine[data-machine="press"] .machine-live[data-live="failed"]', { timeout: 10_000 });
    expect(await page.textContent('.plant-machine[data-machine="press"] .machine-live .error')).toMatch(/^No live view: the machine's gateway cannot be reached \(.+\)$/);
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
