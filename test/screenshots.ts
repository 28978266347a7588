/**
 * Screenshots of the dashboard for docs/screenshots/ (npm run screenshots; needs root for the network
 * namespace): the demo machine with its bearing overheating, at the four sizes the dashboard is
 * designed for, plus the light theme, the Users page, wall mode, the rule editor, and an incident
 * record (from a second gateway with short recording windows, so its record is finalised within
 * seconds rather than the default five minutes after the alert).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { launchChromium, signIn } from "./helpers/browser.js";
import { ADMIN_PASSWORD, GatewayProcess, ROOT } from "./helpers/gateway.js";
import { NetNs } from "./helpers/netns.js";

const OUT = join(ROOT, "docs/screenshots");
const SIZES = [
  [1440, 900],
  [1024, 768],
  [768, 1024],
  [390, 844],
] as const;

const ns = await NetNs.create(10_240);
const gateway = new GatewayProcess(null, ns, ["--scenario", "overheat", "--port", "8080"]);
await gateway.start();
const browser = await launchChromium(ns.chromiumLauncher());
try {
  mkdirSync(OUT, { recursive: true });
  const open = async (width: number, height: number, hash = "") => {
    const page = await (await browser.newContext({ viewport: { width, height }, locale: "en-GB" })).newPage();
    await signIn(page, ADMIN_PASSWORD);
    await page.waitForSelector("[data-banner-alert]", { timeout: 30_000 });
    if (hash) await page.goto(`http://127.0.0.1:8080/${hash}`);
    // Let charts and the thermal view fill in.
    await page.waitForTimeout(3000);
    return page;
  };
  // Each page is closed after its picture: every open dashboard decodes the thermal video.
  const shot = async (width: number, height: number, hash: string, file: string) => {
    const page = await open(width, height, hash);
    await page.screenshot({ path: join(OUT, file) });
    await page.context().close();
  };
  for (const [w, h] of SIZES) await shot(w, h, "", `overview-${w}x${h}.png`);
  const light = await open(1024, 768);
  await light.click('button[name="theme"]');
  await light.screenshot({ path: join(OUT, "overview-light-1024x768.png") });
  await light.click('button[name="theme"]');
  await light.context().close();
  await shot(1024, 768, "#/users", "users-1024x768.png");
  await shot(1280, 800, "#/kiosk", "wall-1280x800.png");
  // An engineer's limit for the bearing, replayed over the recorded warm-up before it is saved.
  const editor = await open(1280, 900, "#/rule/new/spindle.bearing");
  await editor.fill('input[name="rule-limit"]', "60");
  await editor.fill('input[name="rule-clear"]', "55");
  await editor.fill('input[name="rule-for"]', "2s");
  await editor.click('.backtest [data-range-id="1h"]');
  await editor.waitForFunction(() => Number(document.querySelector(".backtest-summary")?.getAttribute("data-firings")) >= 1, undefined, { timeout: 15_000 });
  await editor.waitForTimeout(500);
  await editor.screenshot({ path: join(OUT, "rule-editor-1280x900.png"), fullPage: true });
  await editor.click('.rule-form button[type="submit"]');
  await editor.waitForSelector('[data-rule="spindle-bearing-high"]');
  await editor.screenshot({ path: join(OUT, "rules-1280x900.png") });
  await editor.context().close();

  const recorder = new GatewayProcess(
    {
      name: "Mill 3",
      http: { host: "0.0.0.0", port: 8081 },
      sources: [{ id: "sim", type: "simulated", scenario: "overheat", rateHz: 10, thermalFps: 8, microphone: true }],
      alerts: { rules: [{ id: "bearing-hot", name: "Spindle bearing overheating", channels: ["spindle.bearing"], severity: "critical", when: { above: 65, clear: 60 } }] },
      incidents: { telemetry: { before: "20s", after: "5s" }, frames: { before: "5s", after: "3s" }, sound: { before: "3s", after: "3s" } },
    },
    ns,
  );
  await recorder.start();
  try {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-GB" })).newPage();
    await signIn(page, ADMIN_PASSWORD, "http://127.0.0.1:8081/");
    await page.goto("http://127.0.0.1:8081/#/incidents");
    await page.waitForSelector('tr[data-status="finalised"] a', { timeout: 60_000 });
    await page.screenshot({ path: join(OUT, "incidents-1280x900.png") });
    await page.click('tr[data-status="finalised"] a');
    await page.waitForSelector('.incident[data-verified="true"]');
    await page.hover(".incident-camera canvas.thermal-canvas", { position: { x: 300, y: 150 } });
    await page.waitForTimeout(500);
    await page.screenshot({ path: join(OUT, "incident-1280x900.png"), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(500);
    await page.screenshot({ path: join(OUT, "incident-390x844.png") });
    await page.context().close();
  } finally {
    await recorder.stop();
  }
  process.stdout.write(`screenshots in ${OUT}\n`);
} finally {
  await browser.close();
  await gateway.stop();
  await ns.destroy();
}
