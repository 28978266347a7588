import type { Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NamespacedFirefox, scriptPage, signInFirefox } from "../helpers/firefox.js";
import { ADMIN_PASSWORD, API_TOKEN, GatewayProcess } from "../helpers/gateway.js";
import { NetNs } from "../helpers/netns.js";
import { waitFor } from "../helpers/ports.js";
import { audioStats, framesDecoded, hostCandidates, selectedPair, startViewer } from "../helpers/whepPage.js";

/**
 * Firefox as a user has it: host candidates are `.local` names, and nothing in the namespace answers
 * for them (as on plant networks with VLANs or filtered multicast), so the gateway only learns the
 * browser's address from its connectivity checks (peer-reflexive candidates).
 */
/**
 * Replaces a field's text as a person does: select all, then type. Puppeteer's fill() empties a
 * pre-filled field by assigning its value without an input event, and a re-render arriving before
 * the first key puts the old text back (a limit of "20" became "118.320").
 */
async function retype(page: Page, selector: string, text: string): Promise<void> {
  await page.focus(selector);
  await page.keyboard.down("Control");
  await page.keyboard.press("KeyA");
  await page.keyboard.up("Control");
  await page.keyboard.type(text);
  await page.waitForFunction((s, t) => (document.querySelector(s) as HTMLInputElement | null)?.value === t, {}, selector, text);
}

describe("Firefox ESR with its default settings (private network namespace)", () => {
  let ns: NetNs;
  let gateway: GatewayProcess;
  let firefox: NamespacedFirefox;
  let page: Page;

  beforeAll(async () => {
    ns = await NetNs.create(10_220);
    gateway = new GatewayProcess({ name: "Firefox press", http: { host: "0.0.0.0", port: 8080 }, sources: [{ id: "sim", type: "simulated", rateHz: 5 }] }, ns);
    await gateway.start();
    firefox = await NamespacedFirefox.launch(ns);
    page = await firefox.browser.newPage();
  });

  afterAll(async () => {
    await firefox?.close();
    await gateway?.stop();
    await ns?.destroy();
  });

  it("hides its host candidates behind mDNS names, as shipped", async () => {
    await page.goto("http://127.0.0.1:8080/healthz");
    const candidates = await hostCandidates(scriptPage(page));
    expect(candidates.length).toBeGreaterThan(0);
    for (const c of candidates) expect(c).toMatch(/ [0-9a-f-]{36}\.local /);
  });

  it("signs in to the dashboard, connects and shows live telemetry", async () => {
    await signInFirefox(page, ADMIN_PASSWORD);
    await page.waitForSelector("#main:not([hidden])");
    await page.waitForSelector('body[data-connection="connected"]', { timeout: 15_000 });
    expect(await page.$eval(".machine", (e) => e.textContent)).toBe("Firefox press");
    const value = () => page.$eval('[data-channel="spindle.bearing"] .value', (e) => e.textContent ?? "");
    const first = await waitFor("a live value", async () => ((await value()).match(/^\d+\.\d+$/) ? value() : undefined), 5000);
    await waitFor("the value to change", async () => ((await value()) !== first ? true : undefined), 5000);
  });

  it("shows radiometric frames, the thermal video and the microphone's spectrogram", async () => {
    const seq = () => page.$eval('.thermal[data-camera="sim"]', (e) => Number(e.getAttribute("data-seq")));
    const seqA = await waitFor("a thermal frame", async () => ((await seq()) > 0 ? seq() : undefined), 10_000);
    await waitFor("newer thermal frames", async () => ((await seq()) > seqA + 3 ? true : undefined), 5000);

    await page.locator('.thermal[data-camera="sim"] button[data-mode="video"]').click();
    // Headless Firefox composites nothing, so it counts no painted frames: the playing clock and the
    // decoded size say that video arrives.
    const shown = () => page.$eval('.thermal[data-camera="sim"] video', (v) => ({ width: (v as HTMLVideoElement).videoWidth, time: (v as HTMLVideoElement).currentTime }));
    await waitFor("the thermal video to play", async () => ((await shown()).time > 2 ? true : undefined), 15_000);
    expect((await shown()).width).toBe(320);
    // The video is re-coloured in the page: in grey, every pixel of a row across it has r = g = b.
    await page.select('.thermal[data-camera="sim"] select[data-control="palette"]', "grey");
    const row = () => page.$eval('.thermal[data-camera="sim"] canvas.thermal-canvas', (c) => Array.from((c as HTMLCanvasElement).getContext("2d")!.getImageData(0, Math.floor((c as HTMLCanvasElement).height * 0.8), (c as HTMLCanvasElement).width, 1).data));
    await waitFor("the video re-coloured in grey", async () => {
      const px = await row();
      let grey = true;
      for (let o = 0; o < px.length; o += 4) grey &&= Math.abs(px[o] - px[o + 1]) < 10 && Math.abs(px[o + 1] - px[o + 2]) < 10;
      return grey && Math.max(...px.filter((_, i) => i % 4 === 0)) > 20 ? true : undefined;
    }, 10_000);

    const columns = () => page.$eval('.mic[data-mic="sim"]', (e) => Number(e.getAttribute("data-columns")));
    const colA = await waitFor("spectrogram columns", async () => ((await columns()) > 0 ? columns() : undefined), 10_000);
    await waitFor("more spectrogram columns", async () => ((await columns()) > colA + 5 ? true : undefined), 5000);
  });

  it("plays video and sound through the standard WHEP API with a bearer token", async () => {
    const tab = await firefox.browser.newPage();
    await tab.goto("http://127.0.0.1:8080/healthz");
    const viewer = scriptPage(tab);
    await startViewer(viewer, API_TOKEN, 1, 1);
    await waitFor("video frames decoded", async () => ((await framesDecoded(viewer)) > 10 ? true : undefined), 15_000);
    await waitFor("audio with energy", async () => {
      const a = await audioStats(viewer);
      return a.packets > 50 && a.energy > 0 ? true : undefined;
    }, 15_000);
    expect((await selectedPair(viewer))?.local).toBe("host");
    await tab.close();
  });

  it("shows the Users page and switches language", async () => {
    await page.locator('nav a[href="#/users"]').click();
    await page.waitForSelector('[data-user="admin"]');
    await page.select('select[name="language"]', "nl");
    await page.waitForFunction(() => document.querySelector('nav a[href="#/users"]')?.textContent === "Gebruikers");
    expect(await page.$eval(".page h1", (e) => e.textContent)).toBe("Gebruikers");
    await page.select('select[name="language"]', "en");
  });
});

describe("Firefox with WebRTC switched off", () => {
  let ns: NetNs;
  let gateway: GatewayProcess;
  let firefox: NamespacedFirefox;

  beforeAll(async () => {
    ns = await NetNs.create(10_221);
    gateway = new GatewayProcess({ http: { host: "0.0.0.0", port: 8080 }, sources: [{ id: "sim", type: "simulated", rateHz: 5, thermalFps: 0, microphone: false }] }, ns);
    await gateway.start();
    firefox = await NamespacedFirefox.launch(ns, { "media.peerconnection.enabled": false });
  });

  afterAll(async () => {
    await firefox?.close();
    await gateway?.stop();
    await ns?.destroy();
  });

  it("says plainly that this browser cannot show live data, instead of spinning", async () => {
    const page = await firefox.browser.newPage();
    await signInFirefox(page, ADMIN_PASSWORD);
    await page.waitForSelector('body[data-connection="unsupported"]', { timeout: 5000 });
    expect(await page.$eval("#connection", (e) => e.textContent)).toBe("No live data");
    expect(await page.$eval("#unsupported", (e) => !(e as HTMLElement).hidden && e.textContent?.includes("WebRTC is switched off"))).toBe(true);
  });
});

describe("Firefox: acting on an alarm, a channel's page, one's own password (overheat scenario)", () => {
  let ns: NetNs;
  let gateway: GatewayProcess;
  let firefox: NamespacedFirefox;
  let page: Page;
  const banner = '[data-banner-alert="bearing-hot~spindle.bearing"]';
  const alertOf = () => page.evaluate(async () => ((await (await fetch("/api/alerts")).json()) as Array<{ id: string; ack: { note: string } | null; shelvedUntil: number | null }>).find((a) => a.id === "bearing-hot~spindle.bearing"));

  beforeAll(async () => {
    ns = await NetNs.create(10_225);
    gateway = new GatewayProcess(null, ns, ["--scenario", "overheat", "--port", "8080"]);
    await gateway.start();
    firefox = await NamespacedFirefox.launch(ns);
    page = await firefox.browser.newPage();
    await signInFirefox(page, ADMIN_PASSWORD);
    await page.waitForSelector(banner, { timeout: 30_000 });
  });

  afterAll(async () => {
    await firefox?.close();
    await gateway?.stop();
    await ns?.destroy();
  });

  it("acknowledges with a note and shelves for a chosen time from the banner", async () => {
    await page.locator(`${banner} .banner-ack-button`).click();
    await page.locator(`${banner} input[name="ack-note"]`).fill("checked by the night shift");
    await page.locator(`${banner} .ack-form button[type="submit"]`).click();
    await page.waitForSelector(`${banner}[data-state="acked"]`);
    expect((await alertOf())?.ack?.note).toBe("checked by the night shift");
    await page.select(`${banner} select[name="shelve"]`, String(15 * 60_000));
    await page.waitForSelector(`${banner}[data-state="shelved"]`);
    expect((await alertOf())?.shelvedUntil).toBeGreaterThan(Date.now() + 14 * 60_000);
  });

  it("opens the channel's page with 24 h of history and its CSV", async () => {
    await page.locator('[data-channel="spindle.bearing"] a.name').click();
    await page.waitForSelector("#channel-title");
    await page.locator('[data-range-id="24h"]').click();
    await page.waitForSelector('[data-range-id="24h"][aria-pressed="true"]');
    await page.waitForFunction(() => Number(document.querySelector("[data-points]")?.getAttribute("data-points")) >= 1);
    const csv = await page.$eval('a[download]', async (a) => (await fetch((a as HTMLAnchorElement).href)).text());
    expect(csv.split("\n")[0]).toBe("time,mean,min,max");
  });

  it("sets a limit from the channel's page, sees it replayed on the recorded history, saves it, and it fires live", async () => {
    await page.goto("http://127.0.0.1:8080/#/channel/spindle.bearing");
    await page.locator("a.quick-threshold").click();
    await page.waitForSelector("#rule-title");
    // The bearing has been above 20 °C all along: the replay finds it firing, and so does the engine once saved.
    await retype(page, 'input[name="rule-limit"]', "20");
    await retype(page, 'input[name="rule-clear"]', "18");
    await retype(page, 'input[name="rule-for"]', "1s");
    await page.locator('.backtest [data-range-id="1h"]').click();
    await page.waitForFunction(() => Number(document.querySelector(".backtest-summary")?.getAttribute("data-firings")) >= 1, { timeout: 30_000 }).catch(async (err) => {
      const state = await page.evaluate(() => ({ limit: (document.querySelector('input[name="rule-limit"]') as HTMLInputElement)?.value, problems: document.querySelector(".problems")?.textContent, matches: document.querySelector("#rule-matches")?.textContent, status: document.querySelector('.page [role="status"]')?.textContent, results: document.querySelector(".backtest-results")?.outerHTML }));
      throw new Error(`${(err as Error).message}: ${JSON.stringify(state)}`);
    });
    // Saved with Enter in the form, as a keyboard user does: a click could land while the replay's
    // results still move the button.
    await page.waitForSelector('.rule-form button[type="submit"]:not([disabled])');
    await page.focus('input[name="rule-for"]');
    await page.keyboard.press("Enter");
    await page.waitForSelector('[data-rule="spindle-bearing-high"][data-source="ui"]').catch(async (err) => {
      const state = await page.evaluate(() => ({ hash: location.hash, status: document.querySelector('.page [role="status"]')?.textContent, error: document.querySelector(".page .error")?.textContent, rules: [...document.querySelectorAll("[data-rule]")].map((r) => r.getAttribute("data-rule")) }));
      throw new Error(`${(err as Error).message}: ${JSON.stringify(state)}`);
    });
    await page.locator('nav a[href="#/"]').click();
    await page.waitForSelector('[data-alert="spindle-bearing-high~spindle.bearing"][data-state="firing"]', { timeout: 15_000 });
  });

  it("changes one's own password on My account", async () => {
    await page.locator('nav a[href="#/account"]').click();
    await page.locator('.password-form input[name="current"]').fill(ADMIN_PASSWORD);
    await page.locator('.password-form input[name="password"]').fill("firefox-new-password-1");
    await page.locator('.password-form input[name="repeat"]').fill("firefox-new-password-1");
    await page.locator('.password-form button[type="submit"]').click();
    await page.waitForFunction(() => document.querySelector('.page [role="status"]')?.textContent === "Your password was changed. Your other sessions were signed out.");
    expect(await page.evaluate(async () => (await fetch("/api/me")).status)).toBe(200);
  });

  it("shows wall mode: nothing to click but the alarms, large values, Escape leaves it", async () => {
    await page.goto("http://127.0.0.1:8080/#/kiosk");
    await page.waitForSelector('body[data-kiosk="true"]');
    expect(await page.$eval(".nav-wrap", (e) => getComputedStyle(e).display)).toBe("none");
    expect(await page.$eval("html", (e) => e.getAttribute("data-size"))).toBe("large");
    await page.waitForSelector(banner);
    await page.keyboard.press("Escape");
    await page.waitForSelector('body[data-kiosk="false"]');
  });

  it("says nothing is live once the gateway stops, on the page and on every picture", async () => {
    await page.goto("http://127.0.0.1:8080/");
    await page.waitForSelector('body[data-connection="connected"]', { timeout: 20_000 });
    expect(await gateway.stop()).toBe(0);
    await page.waitForSelector('body[data-connection="reconnecting"]', { timeout: 10_000 });
    expect(await page.$eval("#link-lost", (e) => e.textContent)).toBe("Connection to the gateway lost: nothing on this page is live. Reconnecting…");
    expect(await page.$eval(".thermal", (e) => e.getAttribute("data-link"))).toBe("lost");
    expect(await page.$eval(".thermal .pill", (e) => e.textContent)).toBe("not live");
  });
});
