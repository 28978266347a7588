import type { Browser, Page } from "playwright-core";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeBinaryFrame } from "../../sensors/thermal/binaryFrame.js";
import { seriousViolations } from "../helpers/axe.js";
import { launchChromium, signIn } from "../helpers/browser.js";
import { ADMIN_PASSWORD, GatewayProcess } from "../helpers/gateway.js";
import { NetNs } from "../helpers/netns.js";
import { waitFor } from "../helpers/ports.js";
import { PtyPair } from "../helpers/socat.js";

const W = 32;
const H = 24;
/** The scene: a cold patch at 20 °C, a background warming gently to the right, a hot block whose temperature the test sets. */
let hot = 40;
const scene = () =>
  Float32Array.from({ length: W * H }, (_, i) => {
    const x = i % W;
    const y = Math.floor(i / W);
    if (x < 8 && y >= 16) return 20;
    if (x >= 20 && x < 28 && y >= 4 && y < 12) return hot;
    return 30 + x * 0.08;
  });
const ROIS = [
  { name: "hot", x: 20, y: 4, width: 8, height: 8 },
  { name: "edge", x: 10, y: 10, width: 4, height: 4 },
];
const PANEL = '.thermal[data-camera="cam"]';
/** A background pixel outside every region, in canvas coordinates (one per sensor pixel): 30.6 °C. */
const BACKGROUND: [number, number] = [12, 15];
const BACKGROUND_C = 30 + 12 * 0.08;

type Rgb = [number, number, number];

function pixel(page: Page, [x, y]: [number, number]): Promise<Rgb> {
  return page.$eval(
    `${PANEL} canvas.thermal-canvas`,
    (c, [px, py]) => {
      const d = (c as HTMLCanvasElement).getContext("2d")!.getImageData(px, py, 1, 1).data;
      return [d[0], d[1], d[2]] as [number, number, number];
    },
    [x, y] as [number, number],
  );
}

/** The gateway's own picture at a canvas position, before this viewer re-colours it. */
function rawVideo(page: Page, [x, y]: [number, number]): Promise<Rgb> {
  return page.$eval(
    `${PANEL} video`,
    (v, [px, py, w, h]) => {
      const video = v as HTMLVideoElement;
      const c = document.createElement("canvas");
      [c.width, c.height] = [video.videoWidth, video.videoHeight];
      const ctx = c.getContext("2d")!;
      ctx.drawImage(video, 0, 0);
      const d = ctx.getImageData(Math.floor(((px + 0.5) / w) * c.width), Math.floor(((py + 0.5) / h) * c.height), 1, 1).data;
      return [d[0], d[1], d[2]] as [number, number, number];
    },
    [x, y, W, H] as [number, number, number, number],
  );
}

/**
 * What the screen shows at a point of the picture, in sensor pixels (the picture with the overlay over
 * it): of the screen pixels one above to one below that point, the one with the brightest red.
 */
async function onScreen(page: Page, [x, y]: [number, number]): Promise<Rgb> {
  const shot = PNG.sync.read(await page.locator(`${PANEL} .thermal-stage`).screenshot());
  const [px, py] = [Math.floor((x / W) * shot.width), Math.floor((y / H) * shot.height)];
  const rows = [py - 1, py, py + 1].map((row): Rgb => {
    const o = (row * shot.width + px) * 4;
    return [shot.data[o], shot.data[o + 1], shot.data[o + 2]];
  });
  return rows.sort((a, b) => b[0] - a[0])[0];
}

/** The grey palette's level for a temperature over a range. */
const greyLevel = (c: number, lo: number, hi: number) => Math.round(((c - lo) / (hi - lo)) * 255);
const isGrey = ([r, g, b]: Rgb) => Math.abs(r - g) < 10 && Math.abs(g - b) < 10;

describe("thermal view: palette, regions and colour range on the video, in headless Chromium", () => {
  let ns: NetNs;
  let pair: PtyPair;
  let gateway: GatewayProcess;
  let browser: Browser;
  let page: Page;
  let sending: NodeJS.Timeout;
  let seq = 0;

  beforeAll(async () => {
    ns = await NetNs.create(10_230);
    pair = new PtyPair();
    await pair.start();
    // The gateway colours its video in ironbow over an automatic range (the defaults).
    gateway = new GatewayProcess({ http: { host: "0.0.0.0", port: 8080 }, sources: [{ id: "cam", type: "thermal-serial", path: pair.device, format: "binary", rois: ROIS }] }, ns);
    await gateway.start();
    sending = setInterval(() => void pair.send(encodeBinaryFrame(W, H, seq++, scene())), 125);
    browser = await launchChromium(ns.chromiumLauncher());
    // bypassCSP: the accessibility check injects axe-core as a script of its own.
    page = await (await browser.newContext({ bypassCSP: true })).newPage();
    await signIn(page, ADMIN_PASSWORD);
    await page.waitForSelector(`${PANEL}[data-stale="false"][data-seq]`, { timeout: 15_000 });
  });

  afterAll(async () => {
    clearInterval(sending);
    await browser?.close();
    await gateway?.stop();
    await pair?.unplug();
    await ns?.destroy();
  });

  it("shows the regions and their readings over the video, from the radiometric frames", async () => {
    await page.click(`${PANEL} button[data-mode="video"]`);
    await waitFor("video frames painted", () => page.$eval(`${PANEL} video`, (v) => (v as HTMLVideoElement).getVideoPlaybackQuality().totalVideoFrames).then((n) => (n > 10 ? true : undefined)), 15_000);
    const rois = await page.$$eval(`${PANEL} .thermal-rois li`, (items) => items.map((li) => ({ name: li.getAttribute("data-roi"), max: Number(li.getAttribute("data-max")), mean: Number(li.getAttribute("data-mean")), text: li.textContent })));
    expect(rois.map((r) => r.name)).toEqual(["hot", "edge"]);
    expect(rois[0].max).toBeCloseTo(40, 1);
    expect(rois[0].mean).toBeCloseTo(40, 1);
    expect(rois[1].max).toBeCloseTo(30 + 13 * 0.08, 1);
    expect(rois[1].mean).toBeCloseTo(30 + 11.5 * 0.08, 1);
    expect(rois[1].text).toBe("edge: max 31.0 °C, mean 30.9 °C");
    // The gateway's own ROI channels agree with what the dashboard reads out.
    const channels = await page.evaluate(async () => (await (await fetch("/api/channels")).json()) as Array<{ id: string; last: [number, number, number] | null }>);
    expect(channels.find((c) => c.id === "thermal.cam.edge.mean")?.last?.[1]).toBeCloseTo(rois[1].mean, 1);
    // The region's outline is drawn over the picture: its top edge is near white, its inside is not.
    const edge = await onScreen(page, [10 + 4 / 16, 10]);
    const inside = await onScreen(page, [11.5, 11.5]);
    expect(Math.min(...edge)).toBeGreaterThan(190);
    expect(inside[1]).toBeLessThan(120);
  });

  it("re-colours the video's pixels with the chosen palette, through temperature", async () => {
    const ironbow = await waitFor("a video picture", () => pixel(page, BACKGROUND).then((p) => (p.some((v) => v > 0) ? p : undefined)), 10_000);
    expect(isGrey(ironbow)).toBe(false);
    await page.selectOption(`${PANEL} select[data-control="palette"]`, "grey");
    const grey = await waitFor("a grey picture", () => pixel(page, BACKGROUND).then((p) => (isGrey(p) ? p : undefined)), 5000);
    // 30.6 °C over the frame's own range 20…40 °C, read back from the gateway's ironbow video.
    expect(Math.abs(grey[0] - greyLevel(BACKGROUND_C, 20, 40))).toBeLessThan(20);
    const legend = await page.$eval(`${PANEL} canvas.thermal-legend`, (c) => Array.from((c as HTMLCanvasElement).getContext("2d")!.getImageData(8, 128, 1, 1).data.slice(0, 3)));
    expect(isGrey(legend as Rgb)).toBe(true);
  });

  it("refuses a reversed fixed range with a message, and keeps a fixed range while the scene changes", async () => {
    await page.selectOption(`${PANEL} select[data-control="range"]`, "fixed");
    await page.fill(`${PANEL} .thermal-fixed input >> nth=0`, "60");
    await page.fill(`${PANEL} .thermal-fixed input >> nth=1`, "20");
    await page.click(`${PANEL} .thermal-fixed button[type="submit"]`);
    expect(await page.textContent(`${PANEL} .thermal-range-error`)).toBe("Min must be below max.");
    await page.fill(`${PANEL} .thermal-fixed input >> nth=0`, "10");
    await page.fill(`${PANEL} .thermal-fixed input >> nth=1`, "90");
    await page.click(`${PANEL} .thermal-fixed button[type="submit"]`);
    expect(await page.textContent(`${PANEL} .thermal-range-error`)).toBe("");
    await page.waitForFunction((sel) => document.querySelector(`${sel} .legend-hi`)?.textContent === "90.0 °C", PANEL);
    expect(await page.textContent(`${PANEL} .legend-lo`)).toBe("10.0 °C");
    const expected = greyLevel(BACKGROUND_C, 10, 90);
    const before = await waitFor("the fixed range on the picture", () => pixel(page, BACKGROUND).then((p) => (Math.abs(p[0] - expected) < 15 ? p : undefined)), 5000);

    hot = 120; // the gateway's automatic video range now stretches to 120 °C
    await page.waitForFunction((sel) => Number(document.querySelector(`${sel} .thermal-rois li`)?.getAttribute("data-max")) > 119, PANEL);
    const samples: number[] = [];
    for (let i = 0; i < 16; i++) {
      await new Promise((r) => setTimeout(r, 250));
      samples.push((await pixel(page, BACKGROUND))[0]);
    }
    // Until the video itself shows the new scene: its background dark in the gateway's stretched range.
    await waitFor("the video to show the hotter scene", () => rawVideo(page, BACKGROUND).then(([r, g, b]) => (r < 60 && g < 20 && b < 110 ? true : undefined)), 15_000);
    // The median over two seconds: the frames just after a scene change still carry the encoder's catch-up.
    const settled: number[] = [];
    for (let i = 0; i < 9; i++) {
      await new Promise((r) => setTimeout(r, 250));
      settled.push((await pixel(page, BACKGROUND))[0]);
    }
    const after = settled.sort((a, b) => a - b)[4];
    for (const s of samples) expect(Math.abs(s - before[0]), `grey levels ${samples.join(" ")}, first ${before[0]}`).toBeLessThan(12);
    // Read back from the darkest end of a 100 °C range through lossy video: a few °C of 80, still far
    // from the per-frame range's level (28).
    expect(Math.abs(after - before[0]), `grey levels ${settled.join(" ")} after, ${before[0]} before`).toBeLessThan(20);
    expect(await page.textContent(`${PANEL} .legend-hi`)).toBe("90.0 °C");

    // The same pixel in the per-frame range does change: the test can tell.
    await page.selectOption(`${PANEL} select[data-control="range"]`, "auto");
    await waitFor("the automatic range on the picture", () => pixel(page, BACKGROUND).then((p) => (Math.abs(p[0] - greyLevel(BACKGROUND_C, 20, 120)) < 12 ? true : undefined)), 5000);
    expect(await page.textContent(`${PANEL} .legend-hi`)).toBe("120.0 °C");
  });

  it("remembers palette and range per camera in this browser", async () => {
    await page.selectOption(`${PANEL} select[data-control="range"]`, "fixed");
    await page.reload();
    await page.waitForSelector(`${PANEL}[data-seq]`, { timeout: 15_000 });
    expect(await page.$eval(`${PANEL} select[data-control="palette"]`, (s) => (s as HTMLSelectElement).value)).toBe("grey");
    expect(await page.$eval(`${PANEL} select[data-control="range"]`, (s) => (s as HTMLSelectElement).value)).toBe("fixed");
    await page.waitForFunction((sel) => document.querySelector(`${sel} .legend-hi`)?.textContent === "90.0 °C", PANEL);
  });

  it("moves the slow automatic range smoothly after a jump in the scene", async () => {
    await page.selectOption(`${PANEL} select[data-control="range"]`, "smooth");
    await page.waitForFunction((sel) => Number(document.querySelector(sel)?.getAttribute("data-range-hi")) > 119, PANEL, { timeout: 20_000 });
    // Every frame's range from now on, as the page shows it, with the frame's time.
    await page.evaluate((sel) => {
      const panel = document.querySelector(sel)!;
      const his: Array<[number, number]> = [];
      (window as unknown as { his: typeof his }).his = his;
      new MutationObserver(() => his.push([Number(panel.getAttribute("data-ts")), Number(panel.getAttribute("data-range-hi"))])).observe(panel, { attributeFilter: ["data-seq"] });
    }, PANEL);
    hot = 50;
    await new Promise((r) => setTimeout(r, 3000));
    const his = await page.evaluate(() => (window as unknown as { his: Array<[number, number]> }).his);
    expect(his.length).toBeGreaterThan(12);
    for (let i = 1; i < his.length; i++) {
      const [dt, step] = [his[i][0] - his[i - 1][0], his[i][1] - his[i - 1][1]];
      expect(step).toBeLessThanOrEqual(0.01);
      // Of the 70 °C jump, no more than a 4 s time constant allows in the time between two frames.
      expect(-step).toBeLessThanOrEqual(70 * (1 - Math.exp(-dt / 4000)) + 0.1);
    }
    const [first, last] = [his[0][1], his.at(-1)![1]];
    expect(last).toBeLessThan(first - 10); // it does move
    expect(last).toBeGreaterThan(60); // but not at once to 50
    const legend = Number.parseFloat((await page.textContent(`${PANEL} .legend-hi`))!);
    expect(Math.abs(legend - last)).toBeLessThan(3);
  });

  it("speaks German", async () => {
    await page.selectOption('select[name="language"]', "de");
    const text = (sel: string) => page.textContent(`${PANEL} ${sel}`);
    expect(await text('label[for$="-palette"]')).toBe("Farbpalette");
    expect(await text('label[for$="-range"]')).toBe("Farbbereich");
    expect(await text('select[data-control="range"] option[value="smooth"]')).toBe("Automatisch, langsam");
    expect(await text('select[data-control="palette"] option[value="grey"]')).toBe("Grau");
    expect(await text('button[data-mode="radiometric"]')).toBe("Temperaturen");
    expect(await text(".legend-mode")).toBe("Automatisch, langsam");
    await page.waitForFunction((sel) => /^edge: Max\. 31,0 °C, Mittel 30,9 °C$/.test(document.querySelector(`${sel} .thermal-rois li[data-roi="edge"]`)?.textContent ?? ""), PANEL);
    expect(await text(".thermal-readout")).toBe("Auf das Bild zeigen, um eine Temperatur zu sehen.");
    await page.selectOption(`${PANEL} select[data-control="range"]`, "fixed");
    expect(await text('label[for$="-fixed-min"]')).toBe("Min. °C");
    expect(await page.inputValue(`${PANEL} .thermal-fixed input >> nth=0`)).toBe("10,0");
    await page.fill(`${PANEL} .thermal-fixed input >> nth=1`, "viel");
    await page.click(`${PANEL} .thermal-fixed button[type="submit"]`);
    expect(await text(".thermal-range-error")).toBe("Für Min. und Max. je eine Zahl eingeben.");
    await page.fill(`${PANEL} .thermal-fixed input >> nth=1`, "5");
    await page.click(`${PANEL} .thermal-fixed button[type="submit"]`);
    expect(await text(".thermal-range-error")).toBe("Min. muss kleiner als Max. sein.");
    // The range form open, with its error, in video mode: still no serious accessibility violation.
    await page.click(`${PANEL} button[data-mode="video"]`);
    expect(await seriousViolations(page)).toEqual([]);
  });

  it("leaves the picture alone while it is scrolled out of view, and shows the newest frame when it is back", async () => {
    // A page of its own: controls used before (a filled input, say) can keep a panel counted as on screen.
    const fresh = await (await browser.newContext()).newPage();
    await signIn(fresh, ADMIN_PASSWORD);
    await fresh.waitForSelector(`${PANEL}[data-seq]`, { timeout: 15_000 });
    await fresh.selectOption(`${PANEL} select[data-control="palette"]`, "grey");
    const level = (hi: number) => greyLevel(BACKGROUND_C, 20, hi);
    await waitFor("the picture in the scene's range", () => pixel(fresh, BACKGROUND).then((p) => (Math.abs(p[0] - level(hot)) < 6 ? true : undefined)), 5000);
    const before = (await pixel(fresh, BACKGROUND))[0];
    // Scrolled a long way down, past the panel (with no control in it focused, which would keep it drawn).
    await fresh.evaluate((sel) => {
      (document.activeElement as HTMLElement | null)?.blur();
      document.querySelector(sel)!.addEventListener("contentvisibilityautostatechange", (e) => (document.body.dataset.panelSkipped = String((e as ContentVisibilityAutoStateChangeEvent).skipped)));
      const gap = document.createElement("div");
      gap.style.height = "6000px";
      document.querySelector("main")!.append(gap);
    }, PANEL);
    await fresh.mouse.wheel(0, 6000);
    await fresh.waitForSelector('body[data-panel-skipped="true"]');
    hot = 100;
    // Its readings follow the frames: the range reaches the new scene's hottest pixel.
    await fresh.waitForFunction((sel) => Number(document.querySelector(sel)?.getAttribute("data-range-hi")) > 99, PANEL, { timeout: 5000 });
    await new Promise((r) => setTimeout(r, 1000));
    expect((await pixel(fresh, BACKGROUND))[0]).toBe(before);
    await fresh.locator(`${PANEL} .thermal-stage`).scrollIntoViewIfNeeded();
    await waitFor("the newest frame on the picture", () => pixel(fresh, BACKGROUND).then((p) => (Math.abs(p[0] - level(100)) < 6 ? true : undefined)), 5000);
    await fresh.context().close();
  });
});
