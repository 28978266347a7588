import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seriousViolations } from "../helpers/axe.js";
import { launchChromium, signIn } from "../helpers/browser.js";
import { ADMIN_PASSWORD, GatewayProcess } from "../helpers/gateway.js";
import { NetNs } from "../helpers/netns.js";
import { waitFor } from "../helpers/ports.js";

const BEARING = "bearing-hot~spindle.bearing";
const card = '[data-channel="spindle.bearing"]';
const cardAlert = `${card} [data-card-alert="${BEARING}"]`;
const banner = `[data-banner-alert="${BEARING}"]`;
const fahrenheit = (celsius: number) => ((celsius * 9) / 5 + 32).toFixed(1);

interface AlertJson {
  id: string;
  ack: { by: string; note: string } | null;
  shelvedUntil: number | null;
}
const alertOf = async (page: Page) => ((await page.evaluate(async () => (await fetch("/api/alerts")).json())) as AlertJson[]).find((a) => a.id === BEARING)!;

describe("°F per user, acknowledging from a card, touch zoom on a channel's page (Chromium, overheat scenario)", () => {
  let ns: NetNs;
  let gateway: GatewayProcess;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    ns = await NetNs.create(10_231);
    gateway = new GatewayProcess(null, ns, ["--scenario", "overheat", "--port", "8080"]);
    await gateway.start();
    browser = await launchChromium(ns.chromiumLauncher());
    context = await browser.newContext({ bypassCSP: true, viewport: { width: 1024, height: 768 } });
    page = await context.newPage();
    await signIn(page, ADMIN_PASSWORD);
    await page.waitForSelector('body[data-connection="connected"]');
    await page.waitForSelector(cardAlert, { timeout: 40_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await ns?.destroy();
  });

  /** Until the card shows exactly the gateway's latest °C value converted (the value moves five times a second). */
  const cardMatchesGateway = (p: Page) =>
    waitFor(
      "the card to show the gateway's value in °F",
      async () => {
        const [shown, celsius, bannerValue] = await p.evaluate(async (c) => {
          const before = document.querySelector(`${c} .value`)?.textContent;
          const channels = (await (await fetch("/api/channels")).json()) as Array<{ id: string; last: [number, number, number] | null }>;
          const after = document.querySelector(`${c} .value`)?.textContent;
          const banner = document.querySelector('[data-banner-alert="bearing-hot~spindle.bearing"] .banner-value')?.textContent;
          return [before === after ? before : undefined, channels.find((x) => x.id === "spindle.bearing")!.last![1], banner];
        }, card);
        return shown === fahrenheit(celsius) && bannerValue === `${shown} °F` ? shown : undefined;
      },
      15_000,
      100,
    );

  it("switches to °F on My account: the card, the banner's value and limit, trends and thermal legend follow the gateway's °C ×9/5+32", async () => {
    expect(await page.textContent(`${card} .unit`)).toBe("°C");
    await page.click('nav a[href="#/account"]');
    await page.check('input[name="temperature-unit"][value="F"]');
    await page.waitForSelector('.page [role="status"]:has-text("Temperatures are now shown in °F.")');
    expect(((await page.evaluate(async () => (await fetch("/api/me")).json())) as { preferences: object }).preferences).toEqual({ temperatureUnit: "F" });
    expect(await seriousViolations(page)).toEqual([]);

    await page.click('nav a[href="#/"]');
    await page.waitForFunction((c) => document.querySelector(`${c} .unit`)?.textContent === "°F", card);
    await cardMatchesGateway(page);
    expect(await page.textContent(`${banner} .banner-limit`)).toBe("limit > 176.0 °F");
    // Charts are drawn while on screen.
    await page.locator('.chart[data-unit="°C"]').first().scrollIntoViewIfNeeded();
    await page.waitForFunction(() => [...document.querySelectorAll('.chart[data-unit="°C"] .u-legend .u-value')].some((v) => / °F$/.test(v.textContent ?? "")));
    await page.waitForFunction(() => /^-?\d+\.\d °F$/.test(document.querySelector(".thermal .legend-label")?.textContent ?? ""));
    // Other units are left alone.
    expect(await page.evaluate(() => [...document.querySelectorAll(".card .unit")].map((u) => u.textContent).filter((u) => u !== "°F"))).toEqual([]);
  });

  it("keeps °F over a reload and in a second browser signed in as the same user", async () => {
    await page.reload();
    await page.waitForSelector('body[data-connection="connected"]');
    await page.waitForFunction((c) => document.querySelector(`${c} .unit`)?.textContent === "°F", card);
    await cardMatchesGateway(page);

    const other = await browser.newContext();
    try {
      const tablet = await other.newPage();
      await signIn(tablet, ADMIN_PASSWORD);
      await tablet.waitForSelector('body[data-connection="connected"]');
      await tablet.waitForFunction((c) => document.querySelector(`${c} .unit`)?.textContent === "°F", card);
      await cardMatchesGateway(tablet);
    } finally {
      await other.close();
    }
  });

  it("shows the channel's page in °F, with the alarm's recorded value converted and the CSV said to be in °C", async () => {
    await page.click(`${card} a.name`);
    await page.waitForSelector(`[data-alarm="${BEARING}"] [data-transition="firing"]`);
    expect(await page.textContent("#channel-title + .muted")).toMatch(/^spindle\.bearing · shown in °F, measured in °C · /);
    expect(await page.textContent("#csv-unit")).toBe("CSV in °C, as stored");
    const events = (await page.evaluate(async (id) => (await fetch(`/api/alerts/${encodeURIComponent(id)}/events`)).json(), BEARING)) as Array<{ to_state: string; value: number }>;
    const fired = events.find((e) => e.to_state === "firing")!;
    expect(await page.textContent(`[data-alarm="${BEARING}"] [data-transition="firing"]`)).toContain(`: pending → firing, ${fahrenheit(fired.value)} °F`);
    await page.click('nav a[href="#/"]');
  });

  it("acknowledges from the card with the keyboard and a note: the API has the note, card and banner say acknowledged", async () => {
    await page.waitForSelector(`${cardAlert}[data-state="unacked"]`);
    expect(await seriousViolations(page)).toEqual([]);
    await page.focus(`${cardAlert} .card-alert-ack-button`);
    await page.keyboard.press("Enter");
    // The note field takes the focus.
    await page.waitForFunction((c) => document.activeElement === document.querySelector(`${c} input[name="ack-note"]`), cardAlert);
    await page.keyboard.type("bearing greased, fan checked");
    await page.keyboard.press("Enter");
    await page.waitForSelector(`${cardAlert}[data-state="acked"]`);
    await page.waitForSelector(`${banner}[data-state="acked"]`);
    expect(await page.textContent(`${cardAlert} .card-alert-state`)).toBe("acknowledged by admin");
    expect(await page.textContent(`${banner} .banner-state`)).toBe("acknowledged by admin");
    expect((await alertOf(page)).ack).toMatchObject({ by: "admin", note: "bearing greased, fan checked" });
    // Nothing left to acknowledge on it; shelving still offered.
    expect(await page.locator(`${cardAlert} .card-alert-ack-button`).count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
  });

  it("shelves from the card for a chosen time, and unshelves it there", async () => {
    const before = Date.now();
    await page.selectOption(`${cardAlert} select[name="shelve"]`, String(15 * 60_000));
    await page.waitForSelector(`${cardAlert}[data-state="shelved"]`);
    await page.waitForSelector(`${banner}[data-state="shelved"]`);
    expect(Math.abs((await alertOf(page)).shelvedUntil! - before - 15 * 60_000)).toBeLessThan(30_000);
    await page.click(`${cardAlert} button:has-text("Unshelve")`);
    await page.waitForSelector(`${cardAlert}[data-state="acked"]`);
    expect((await alertOf(page)).shelvedUntil).toBeNull();
  });

  it("tells a viewer on the card why they cannot acknowledge", async () => {
    const created = await page.evaluate(async () => (await fetch("/api/users", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ username: "vera", password: "vera-password-123", role: "viewer" }) })).status);
    expect(created).toBe(201);
    const other = await browser.newContext({ bypassCSP: true });
    try {
      const viewer = await other.newPage();
      await signIn(viewer, "vera-password-123", undefined, "vera");
      await viewer.waitForSelector(cardAlert);
      expect(await viewer.textContent(`${cardAlert} .card-alert-hint`)).toBe("Viewers cannot acknowledge or shelve.");
      expect(await viewer.locator(`${cardAlert} button, ${cardAlert} select`).count()).toBe(0);
      // Vera has not chosen °F: she sees °C.
      expect(await viewer.textContent(`${card} .unit`)).toBe("°C");
      expect(await seriousViolations(viewer)).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it("zooms the channel chart's time axis with a pinch, moves it with one finger and with the wheel, and resets", async () => {
    const touch = await browser.newContext({ hasTouch: true, viewport: { width: 1024, height: 768 } });
    try {
      const tablet = await touch.newPage();
      await signIn(tablet, ADMIN_PASSWORD);
      await tablet.goto("http://127.0.0.1:8080/#/channel/spindle.bearing");
      await tablet.waitForFunction(() => Number(document.querySelector("[data-points]")?.getAttribute("data-points")) > 2);
      // The chart is drawn again as the channel, its rules' limits and its alarms come in: touch it after that.
      await tablet.waitForSelector('body[data-connection="connected"]');
      await tablet.waitForSelector(`[data-alarm="${BEARING}"]`);
      await tablet.waitForSelector(banner);
      const over = tablet.locator(".channel-chart .u-over");
      await over.scrollIntoViewIfNeeded();
      const box = (await over.boundingBox())!;
      const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
      const range = async () => {
        const [min, max] = await tablet.evaluate(() => {
          const chart = document.querySelector<HTMLElement>(".channel-chart")!;
          return [Number(chart.dataset.xMin), Number(chart.dataset.xMax)];
        });
        return { min, max, span: max - min };
      };
      const whole = await range();
      expect(whole.span).toBeGreaterThan(3_590_000); // the hour chosen
      const cdp = await touch.newCDPSession(tablet);
      const touches = async (type: "touchStart" | "touchMove" | "touchEnd", points: Array<[number, number]>) =>
        cdp.send("Input.dispatchTouchEvent", { type, touchPoints: points.map(([x, y], id) => ({ x, y, id })) });

      // Two fingers 100 px apart spread to 300 px: a third of the time, around the same middle.
      await touches("touchStart", [[cx - 50, cy], [cx + 50, cy]]);
      for (let i = 1; i <= 5; i++) await touches("touchMove", [[cx - 50 - 20 * i, cy], [cx + 50 + 20 * i, cy]]);
      await touches("touchEnd", []);
      const pinched = await range();
      expect(pinched.span / whole.span).toBeGreaterThan(0.3);
      expect(pinched.span / whole.span).toBeLessThan(0.37);
      expect(Math.abs((pinched.min + pinched.max) / 2 - (whole.min + whole.max) / 2)).toBeLessThan(whole.span * 0.02);

      // One finger dragged 200 px to the right: earlier time, the same span.
      await touches("touchStart", [[cx, cy]]);
      for (let i = 1; i <= 5; i++) await touches("touchMove", [[cx + 40 * i, cy]]);
      await touches("touchEnd", []);
      const panned = await range();
      expect(Math.abs(panned.span - pinched.span)).toBeLessThan(pinched.span * 0.001);
      const expectedShift = (200 / box.width) * pinched.span;
      expect(pinched.min - panned.min).toBeGreaterThan(expectedShift * 0.9);
      expect(pinched.min - panned.min).toBeLessThan(expectedShift * 1.1);

      // Ctrl + wheel zooms in around the pointer; Shift + wheel moves along.
      await tablet.mouse.move(cx, cy);
      await tablet.keyboard.down("Control");
      await tablet.mouse.wheel(0, -200);
      await tablet.keyboard.up("Control");
      await tablet.waitForFunction((span) => {
        const c = document.querySelector<HTMLElement>(".channel-chart")!.dataset;
        return Number(c.xMax) - Number(c.xMin) < span * 0.9;
      }, panned.span);
      const wheeled = await range();
      await tablet.keyboard.down("Shift");
      await tablet.mouse.wheel(0, 100);
      await tablet.keyboard.up("Shift");
      await tablet.waitForFunction((min) => Number(document.querySelector<HTMLElement>(".channel-chart")!.dataset.xMin) > min, wheeled.min);

      await tablet.click('button:has-text("Reset zoom")');
      const reset = await range();
      expect(Math.abs(reset.span - whole.span)).toBeLessThan(5000);
      expect(reset.max).toBeGreaterThanOrEqual(whole.max);
    } finally {
      await touch.close();
    }
  });
});
