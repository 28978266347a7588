import { statSync } from "node:fs";
import type { Page as FirefoxPage } from "puppeteer-core";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seriousViolations } from "../helpers/axe.js";
import { launchChromium, signIn } from "../helpers/browser.js";
import { NamespacedFirefox, signInFirefox } from "../helpers/firefox.js";
import { ADMIN_PASSWORD, GatewayProcess } from "../helpers/gateway.js";
import { heliaNode } from "../helpers/heliaPeer.js";
import { NetNs } from "../helpers/netns.js";
import { overheatingMill } from "../helpers/overheat.js";
import type { Proc } from "../helpers/processes.js";

const IPFS_RPC_PORT = 5001;
const IPFS_AUTH = "Bearer plant-ipfs-token-0123456789";

interface Incident {
  status: string;
  cid: string;
  alert: string;
  firingAt: number;
  blocks: number;
}

/** What the incident page shows of its record, read from the page. */
const PAGE_STATE = `(() => {
  const page = document.querySelector(".incident");
  const camera = document.querySelector(".incident-camera");
  const canvas = camera && camera.querySelector("canvas.thermal-canvas");
  let lit = 0;
  if (canvas) {
    const px = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 0; i < px.length; i += 4 * 97) if (px[i] + px[i + 1] + px[i + 2] > 60) lit++;
  }
  const chart = document.querySelector('.incident-chart[data-channel="spindle.bearing"]');
  return {
    verified: page && page.dataset.verified,
    blocks: page && Number(page.dataset.blocks),
    frames: camera && Number(camera.dataset.frames),
    index: camera && Number(camera.dataset.index),
    ts: camera && Number(camera.dataset.ts),
    lit,
    readout: document.querySelector(".incident-camera .thermal-readout")?.textContent,
    columns: Number(document.querySelector(".incident-spectrogram")?.dataset.columns ?? 0),
    chartPoints: chart && Number(chart.dataset.points),
    firingX: chart && Number(chart.querySelector("div")?.dataset.firingX),
    chartWidth: chart && chart.querySelector("canvas")?.clientWidth,
    transitions: [...document.querySelectorAll(".incident-events [data-transition]")].map((e) => e.dataset.transition),
    carHref: document.querySelector(".incident-evidence a[download]")?.getAttribute("href"),
  };
})()`;
type PageState = { verified: string; blocks: number; frames: number; index: number; ts: number; lit: number; readout: string; columns: number; chartPoints: number; firingX: number; chartWidth: number; transitions: string[]; carHref: string };

/** The clip's audio element: decoded, how long, and (asked to play) whether it plays on. */
const audioCheck = (play: boolean) => `(async () => {
  const audio = document.querySelector(".incident-sound audio");
  const until = Date.now() + 10000;
  while (audio.readyState < 2 && !audio.error && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  const decoded = audio.readyState >= 2;
  if (${play}) {
    await audio.play().catch(() => {});
    const playing = Date.now() + 10000;
    while (audio.currentTime <= 0.5 && !audio.error && Date.now() < playing) await new Promise((r) => setTimeout(r, 100));
  }
  return { decoded, duration: audio.duration, playedTo: audio.currentTime, error: audio.error && audio.error.message };
})()`;

describe("incident records in the dashboard: overheat → record → its frames, sound and charts, verified in the page", () => {
  let ns: NetNs;
  let gateway: GatewayProcess;
  let browser: Browser;
  /** As shipped: the gateway's Content-Security-Policy applies. */
  let page: Page;
  /** For axe-core, injected as a script of its own: this context bypasses the CSP. */
  let axePage: Page;
  let incident: Incident;
  let ipfsNode: Proc | undefined;

  beforeAll(async () => {
    ns = await NetNs.create(10_250);
    gateway = new GatewayProcess(
      {
        name: "Mill 3",
        http: { host: "0.0.0.0", port: 8080 },
        // The plant's IPFS node is down until a test starts it.
        ...overheatingMill({ replicate: { kubo: { url: `http://127.0.0.1:${IPFS_RPC_PORT}`, authorization: IPFS_AUTH, timeout: "5s" } } }),
      },
      ns,
    );
    await gateway.start();
    browser = await launchChromium(ns.chromiumLauncher());
    page = await browser.newPage();
    await signIn(page, ADMIN_PASSWORD);
    axePage = await (await browser.newContext({ bypassCSP: true })).newPage();
    await signIn(axePage, ADMIN_PASSWORD);
  }, 60_000);

  afterAll(async () => {
    await ipfsNode?.stop();
    await browser?.close();
    await gateway?.stop();
    await ns?.destroy();
  });

  /** The record link of the bearing's alert in the overview's Alerts list (kept up to date while another page shows). */
  const overviewLink = () => page.getAttribute('#alert-list [data-alert="hot~spindle.bearing"] a[data-incident-link]', "href", { timeout: 1000 }).catch(() => null);

  it("links the alert in the overview's Alerts list to its record once it is finalised", async () => {
    await page.waitForSelector('#alert-list [data-alert="hot~spindle.bearing"] a[data-incident-link]', { timeout: 40_000 });
    const listed = await page.evaluate(async () => ((await (await fetch("/api/incidents")).json()) as Incident[]).filter((i) => i.status === "finalised").map((i) => i.cid));
    expect(listed).toHaveLength(1);
    expect(await overviewLink()).toBe(`#/incident/${listed[0]}`);
  }, 60_000);

  it("lists the record on the Incidents page, and links it once it is finalised", async () => {
    await page.click('nav a[href="#/incidents"]');
    await page.waitForSelector("tr[data-incident]", { timeout: 40_000 });
    await page.waitForSelector('tr[data-incident][data-status="finalised"] a', { timeout: 40_000 });
    incident = (await page.evaluate(async () => ((await (await fetch("/api/incidents")).json()) as Incident[]).find((i) => i.status === "finalised")!))!;
    expect(await page.getAttribute('tr[data-status="finalised"]', "data-cid")).toBe(incident.cid);
    expect(await page.textContent('tr[data-status="finalised"]')).toContain("Critical");
    await axePage.goto("http://127.0.0.1:8080/#/incidents");
    await axePage.waitForSelector('tr[data-status="finalised"]');
    expect(await seriousViolations(axePage)).toEqual([]);
  }, 90_000);

  it("says whether the record reached the plant's IPFS node: not yet while the node is down, then copied and pinned (a real Helia node)", async () => {
    const cell = 'tr[data-status="finalised"] td[data-replication]';
    await page.waitForFunction((sel) => document.querySelector(sel)?.getAttribute("data-replication")?.startsWith("retrying: "), cell, { timeout: 20_000 });
    expect(await page.textContent(cell)).toMatch(/^not copied yet \(.+\); the gateway keeps trying$/);
    ipfsNode = (await heliaNode(ns, IPFS_RPC_PORT, IPFS_AUTH)).proc;
    await page.waitForFunction((sel) => document.querySelector(sel)?.getAttribute("data-replication") === "replicated", cell, { timeout: 40_000 });
    expect(await page.textContent(cell)).toBe("copied and pinned");
  }, 70_000);

  it("opens the record, checks every block against the CID, and shows the frames at the moment, the sound and the charts", async () => {
    await page.click('tr[data-status="finalised"] a');
    await page.waitForSelector('.incident[data-verified="true"]', { timeout: 20_000 });
    const state = (await page.evaluate(PAGE_STATE)) as PageState;
    expect(state.blocks).toBe(incident.blocks);
    expect(await page.textContent(".verify-ok")).toContain(`all ${incident.blocks} blocks`);
    expect(await page.textContent(".cid")).toBe(incident.cid);
    // 3 s before and 2 s after at about one frame a second, the one shown first nearest the moment.
    expect(state.frames).toBeGreaterThanOrEqual(4);
    // One frame a second is kept: the nearest is within a second and a half even with one missing.
    expect(Math.abs(state.ts - incident.firingAt)).toBeLessThanOrEqual(1500);
    expect(state.lit).toBeGreaterThan(10);
    expect(state.columns).toBeGreaterThan(10);
    expect(state.chartPoints).toBeGreaterThan(10);
    // The line where it fired: 20 s of the 23 s window in, inside the plot.
    expect(state.firingX).toBeGreaterThan(state.chartWidth * 0.5);
    expect(state.firingX).toBeLessThan(state.chartWidth);
    expect(state.transitions).toContain("firing");
    expect(await page.textContent("#incident-title")).toContain("Critical");
    // Download CAR saves the very bytes the page checked: those the gateway exports.
    const exported = await page.evaluate(async (cid) => (await (await fetch(`/api/incidents/${cid}.car`)).arrayBuffer()).byteLength, incident.cid);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click(".incident-evidence a[download]")]);
    expect(download.suggestedFilename()).toBe(`${incident.cid}.car`);
    expect(statSync((await download.path())!).size).toBe(exported);
    await axePage.goto(`http://127.0.0.1:8080/#/incident/${incident.cid}`);
    await axePage.waitForSelector('.incident[data-verified="true"]');
    expect(await seriousViolations(axePage)).toEqual([]);
  }, 60_000);

  it("scrubs and plays the frames, reads the temperature under the pointer, and plays the sound", async () => {
    const state = () => page.evaluate(PAGE_STATE) as Promise<PageState>;
    const first = await state();
    await page.focus('input[name="frame"]');
    await page.keyboard.press("ArrowLeft");
    await page.waitForFunction((i) => Number(document.querySelector<HTMLElement>(".incident-camera")!.dataset.index) === i - 1, first.index);
    expect((await state()).ts).toBeLessThan(first.ts);
    await page.click('button[name="moment"]');
    expect((await state()).index).toBe(first.index);
    await page.hover(".incident-camera canvas.thermal-canvas", { position: { x: 40, y: 40 } });
    expect((await state()).readout).toMatch(/^\d+\.\d\d °C at \(\d+, \d+\)$/);
    await page.click('button[name="play"]');
    await page.waitForFunction(() => Number(document.querySelector<HTMLElement>(".incident-camera")!.dataset.index) === 0 || document.querySelector<HTMLElement>('button[name="play"]')!.dataset.playing === "false", undefined, { timeout: 10_000 });
    const audio = (await page.evaluate(audioCheck(true))) as { decoded: boolean; duration: number; playedTo: number; error: string | null };
    expect(audio.error).toBeNull();
    expect(audio.decoded).toBe(true);
    // 2 s before and 2 s after the moment.
    expect(audio.duration).toBeGreaterThan(3);
    expect(audio.playedTo).toBeGreaterThan(0.5);
  }, 60_000);

  it("keeps the record for good from its page (pinned, by whom), says so in the list, and stops keeping it", async () => {
    expect(await page.getAttribute(".incident-pin", "data-pinned")).toBe("false");
    await page.click('.incident-pin button[name="pin"]');
    await page.waitForSelector('.incident-pin[data-pinned="true"]');
    expect(await page.textContent(".incident-pin .hint")).toMatch(/^Kept for good \(pinned by admin, .+\)/);
    expect(await page.getAttribute('.incident-pin button[name="pin"]', "aria-pressed")).toBe("true");
    await page.evaluate(() => (location.hash = "#/incidents"));
    await page.waitForSelector('tr[data-status="finalised"] [data-pinned="true"]');
    await page.click('tr[data-status="finalised"] a');
    await page.waitForSelector('.incident[data-verified="true"] .incident-pin[data-pinned="true"]');
    await page.click('.incident-pin button[name="pin"]');
    await page.waitForSelector('.incident-pin[data-pinned="false"]');
    const rows = await page.evaluate(async () => (await (await fetch("/api/incidents")).json()) as Array<{ pinnedBy: string | null }>);
    expect(rows.every((r) => r.pinnedBy === null)).toBe(true);
  }, 30_000);

  it("fits a 390 px phone: nothing wider than the screen", async () => {
    const phone = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
    await signIn(phone, ADMIN_PASSWORD);
    await phone.goto(`http://127.0.0.1:8080/#/incident/${incident.cid}`);
    await phone.waitForSelector('.incident[data-verified="true"]', { timeout: 20_000 });
    await phone.waitForSelector(".incident-chart canvas");
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await phone.context().close();
  }, 30_000);

  it("refuses a record whose CAR was altered on the way, and shows none of it", async () => {
    // One byte changed near the end of the CAR as the page receives it (the last block, a telemetry CSV).
    await page.evaluate(() => {
      const real = window.fetch.bind(window);
      window.fetch = async (input, init) => {
        const res = await real(input, init);
        if (!String(input).endsWith(".car")) return res;
        const body = new Uint8Array(await res.arrayBuffer());
        body[body.length - 100] ^= 0xff;
        return new Response(body, { status: res.status, headers: res.headers });
      };
    });
    await page.evaluate(() => (location.hash = "#/incidents"));
    await page.waitForSelector("tr[data-incident]");
    await page.evaluate((cid) => (location.hash = `#/incident/${cid}`), incident.cid);
    await page.waitForSelector('[data-verified="false"]', { timeout: 20_000 });
    expect(await page.textContent(".verify-failed")).toMatch(/^Not verified: block baf[ky]\w+ does not match its CID/);
    expect(await page.locator(".incident-camera").count()).toBe(0);
    await page.reload();
  }, 30_000);

  it("shows version 2 after an acknowledgement, and from it the version before, each verified", async () => {
    const status = await page.evaluate(async (id) => (await fetch(`/api/alerts/${encodeURIComponent(id)}/ack`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ note: "coolant checked" }) })).status, incident.alert);
    expect(status).toBe(200);
    await page.evaluate(() => (location.hash = "#/incidents"));
    await page.waitForFunction(() => document.querySelector('tr[data-status="finalised"]')?.textContent?.includes("version 2"), undefined, { timeout: 20_000 });
    expect(await page.locator(`tr[data-incident]`).count()).toBe(1);
    const v2Cid = await page.getAttribute('tr[data-status="finalised"]', "data-cid");
    expect(v2Cid).not.toBe(incident.cid);
    // The alerts channel says so as well: the overview's link now opens version 2.
    expect(await overviewLink()).toBe(`#/incident/${v2Cid}`);
    await page.click('tr[data-status="finalised"] a');
    await page.waitForSelector('.incident[data-verified="true"]');
    expect(await page.textContent(".incident-version")).toContain("Version 2");
    expect(await page.evaluate(() => [...document.querySelectorAll(".incident-events [data-transition]")].map((e) => (e as HTMLElement).dataset.transition))).toContain("acknowledged");
    // Its frames, sound and measurements are those of version 1, read through previous/.
    const v2 = (await page.evaluate(PAGE_STATE)) as PageState;
    expect(v2.frames).toBeGreaterThanOrEqual(4);
    expect(v2.lit).toBeGreaterThan(10);
    expect(v2.chartPoints).toBeGreaterThan(10);
    await page.click(".incident-version a");
    await page.waitForFunction((cid) => document.querySelector('.incident[data-verified="true"] .cid')?.textContent === cid, incident.cid);
    expect(await page.locator(".incident-version").count()).toBe(0);
  }, 40_000);

  it("in Firefox ESR too: verified, the frames drawn, the charts and the sound decoded, in German", async () => {
    const firefox = await NamespacedFirefox.launch(ns);
    try {
      const ff: FirefoxPage = await firefox.browser.newPage();
      await signInFirefox(ff, ADMIN_PASSWORD);
      await ff.waitForSelector("#main:not([hidden])");
      await ff.select('select[name="language"]', "de");
      await ff.goto(`http://127.0.0.1:8080/#/incident/${incident.cid}`);
      await ff.waitForSelector('.incident[data-verified="true"]', { timeout: 20_000 });
      const state = (await ff.evaluate(PAGE_STATE)) as PageState;
      expect(state.blocks).toBe(incident.blocks);
      expect(state.lit).toBeGreaterThan(10);
      expect(state.chartPoints).toBeGreaterThan(10);
      expect(await ff.evaluate('document.querySelector(".verify-ok").textContent')).toContain(`alle ${incident.blocks} Blöcke`);
      // Decoded, not played: headless Firefox has no sound output to play to (OnMediaSinkAudioError).
      const audio = (await ff.evaluate(audioCheck(false))) as { decoded: boolean; duration: number; playedTo: number; error: string | null };
      expect(audio.error).toBeNull();
      expect(audio.decoded).toBe(true);
      expect(audio.duration).toBeGreaterThan(3);
    } finally {
      await firefox.close();
    }
  }, 90_000);
});
