import mqtt, { type MqttClient } from "mqtt";
import type { Browser, Page } from "playwright-core";
import type { MachineAnnouncement, PlantMsg } from "../gateway/protocol/plant.js";
import { launchChromium, signIn } from "../test/helpers/browser.js";
import { ADMIN_PASSWORD, API_TOKEN, GatewayProcess } from "../test/helpers/gateway.js";
import { Mosquitto } from "../test/helpers/mosquitto.js";
import { freePort } from "../test/helpers/ports.js";
import { cpuPercentOver, rssMb } from "./proc.js";
import { percentile } from "./stats.js";

const PREFIX = "wachter/plant";
/** As the gateways announce by default: every 10 s, and on each alert change. */
const INTERVAL_MS = 10_000;
/** Alert changes across the plant per minute: a busy plant, one every few seconds. */
const ALERT_CHANGES_PER_MIN = 20;

export interface PlantRun {
  machines: number;
  seconds: number;
  /** From the plant-view gateway's start (listening) until it lists every machine, from the broker's retained state. */
  completeMs: number;
  messagesPerS: number;
  cpuPercent: number;
  /** The same gateway, same broker, before any machine announced itself: the baseline of this run. */
  idleCpuPercent: number;
  rssMb: number;
  idleRssMb: number;
  apiP50Ms: number;
  apiP99Ms: number;
  ignored: number;
  /** Headless Chromium (software rendering) on the Plant page: with no machine yet (the baseline), and with all of them. */
  browser: { idle: PageFrames; full: PageFrames };
}

export interface PageFrames {
  fps: number;
  longTasks: number;
  longestTaskMs: number;
}

/**
 * The page's frame rate and long tasks (over 50 ms) over `seconds`, as the browser reports them.
 * A script as text: tsx would wrap a function's inner functions in a helper the page lacks.
 */
function pageFrames(page: Page, seconds: number): Promise<PageFrames> {
  return page.evaluate(`(async () => {
    const long = [];
    const observer = new PerformanceObserver((list) => list.getEntries().forEach((e) => long.push(e.duration)));
    observer.observe({ type: "longtask" });
    const t0 = performance.now();
    let frames = 0;
    await new Promise((resolve) => {
      const tick = () => {
        frames++;
        if (performance.now() - t0 < ${seconds * 1000}) requestAnimationFrame(tick);
        else resolve();
      };
      requestAnimationFrame(tick);
    });
    observer.disconnect();
    return { fps: frames / ((performance.now() - t0) / 1000), longTasks: long.length, longestTaskMs: Math.max(0, ...long) };
  })()`) as Promise<PageFrames>;
}

/** The dashboard's Plant page, signed in, with every tile drawn that the gateway lists. */
async function plantPage(browser: Browser, base: string, machines: number): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1920, height: 1080 } })).newPage();
  await signIn(page, ADMIN_PASSWORD, `${base}/`);
  await page.waitForSelector('nav a[href="#/plant"]');
  await page.click('nav a[href="#/plant"]');
  await page.waitForFunction((n) => document.querySelectorAll(".plant-machine").length === n, machines, { timeout: 30_000 });
  return page;
}

/** One simulated machine: its own connection with a last will, its announcement retained, as a gateway sends it. */
class FakeMachine {
  private alert = false;
  constructor(
    private readonly client: MqttClient,
    private readonly i: number,
  ) {}

  static async connect(url: string, i: number): Promise<FakeMachine> {
    const id = `m${String(i).padStart(3, "0")}`;
    const client = await mqtt.connectAsync(url, { will: { topic: `${PREFIX}/${id}/status`, payload: Buffer.from("offline"), qos: 1, retain: true } });
    const machine = new FakeMachine(client, i);
    await client.publishAsync(`${PREFIX}/${id}/status`, "online", { qos: 1, retain: true });
    await machine.announce();
    return machine;
  }

  get id(): string {
    return `m${String(this.i).padStart(3, "0")}`;
  }

  toggleAlert(): Promise<void> {
    this.alert = !this.alert;
    return this.announce();
  }

  async announce(): Promise<void> {
    const now = Date.now();
    const news: MachineAnnouncement = {
      v: 1,
      kind: "wachter.machine",
      id: this.id,
      name: `Extruder ${this.i} barrel zone ${this.i % 8} — main drive`,
      hall: `Hall ${1 + (this.i % 5)}`,
      url: `http://10.0.${Math.floor(this.i / 250)}.${this.i % 250}:8080/`,
      version: "0.1.0",
      interval: INTERVAL_MS,
      at: now,
      alerts: this.alert ? [{ id: "bearing-hot~spindle.bearing", name: "Spindle bearing hot", channel: "spindle.bearing", severity: this.i % 3 ? "warning" : "critical", state: "firing", since: now - 5000, ackBy: null, shelved: false }] : [],
      values: ["spindle.bearing", "gearbox.oil", "motor.winding", "coolant.return"].map((c, k) => ({ id: c, name: c, unit: "°C", value: 40 + k + Math.sin(now / 1e4 + this.i), decimals: 1, stale: false })),
    };
    await this.client.publishAsync(`${PREFIX}/${this.id}/machine`, JSON.stringify(news), { qos: 1, retain: true });
  }

  end(): Promise<void> {
    return this.client.endAsync();
  }
}

/**
 * A plant-view gateway (no sensors, as a plant's screen) on a real Mosquitto with `machines`
 * simulated machines announcing at the gateways' default rate, alert changes among them, and the
 * plant view asked every 2 s as the dashboard does. CPU against the same gateway idle, in this run.
 */
export async function plantView(machines: number, seconds: number): Promise<PlantRun> {
  const broker = new Mosquitto();
  await broker.start();
  const config = { http: { host: "127.0.0.1", port: await freePort() }, sources: [], plant: { broker: { url: broker.url, announce: false } } };
  let gateway = new GatewayProcess(config).asDeployed();
  const fleet: FakeMachine[] = [];
  let timers: NodeJS.Timeout[] = [];
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    await gateway.start();
    const base = `http://127.0.0.1:${config.http.port}`;
    const ask = async () => (await (await fetch(`${base}/api/plant/machines`, { headers: { Authorization: `Bearer ${API_TOKEN}` } })).json()) as PlantMsg;
    // The baseline has the same page open, empty: it asks the gateway every 2 s too.
    const idlePage = await plantPage(browser, base, 0);
    await new Promise((r) => setTimeout(r, 2000));
    const [idleCpuPercent, idleFrames] = await Promise.all([cpuPercentOver(gateway.proc!.child.pid!, Math.min(seconds, 10) * 1000), pageFrames(idlePage, Math.min(seconds, 10))]);
    const idleRssMb = rssMb(gateway.proc!.child.pid!);
    await idlePage.context().close();

    for (let i = 0; i < machines; i++) fleet.push(await FakeMachine.connect(broker.url, i));
    // A plant view opened now finds every machine in the broker's retained messages.
    await gateway.stop();
    gateway = new GatewayProcess(config).asDeployed();
    await gateway.start();
    const started = performance.now();
    while ((await ask()).machines.length < machines) await new Promise((r) => setTimeout(r, 10));
    const completeMs = performance.now() - started;

    let sent = 0;
    timers = fleet.map((m, i) =>
      setTimeout(() => {
        timers.push(setInterval(() => void m.announce().then(() => sent++), INTERVAL_MS));
      }, (i * INTERVAL_MS) / machines),
    );
    timers.push(
      setInterval(() => {
        void fleet[Math.floor(Math.random() * fleet.length)].toggleAlert().then(() => sent++);
      }, 60_000 / ALERT_CHANGES_PER_MIN),
    );
    const pid = gateway.proc!.child.pid!;
    const latencies: number[] = [];
    const poller = setInterval(async () => {
      const t0 = performance.now();
      await ask();
      latencies.push(performance.now() - t0);
    }, 2000);
    timers.push(poller);
    // The plant's screen is open meanwhile, as it would be; it asks the gateway every 2 s as well.
    const page = await plantPage(browser, base, machines);
    const sentBefore = sent;
    const [cpuPercent, fullFrames] = await Promise.all([cpuPercentOver(pid, seconds * 1000), pageFrames(page, seconds)]);
    const messagesPerS = (sent - sentBefore) / seconds;
    const last = await ask();
    latencies.sort((a, b) => a - b);
    return {
      machines,
      seconds,
      completeMs,
      messagesPerS,
      cpuPercent,
      idleCpuPercent,
      rssMb: rssMb(pid),
      idleRssMb,
      apiP50Ms: percentile(latencies, 50),
      apiP99Ms: percentile(latencies, 99),
      ignored: last.ignored,
      browser: { idle: idleFrames, full: fullFrames },
    };
  } finally {
    await browser?.close();
    for (const t of timers) clearTimeout(t);
    await Promise.all(fleet.map((m) => m.end()));
    await gateway.stop();
    await broker.stop();
  }
}

export function plantViewSection(r: PlantRun): string {
  return `## Plant view at 100 machines

One plant-view gateway (no sensors of its own, as a plant's screen) on a real Mosquitto, with
${r.machines} simulated machines, each on its own connection with a last will, announcing as a
gateway does (retained, every 10 s, and on each alert change; ${ALERT_CHANGES_PER_MIN} alert changes a minute
across the plant), for ${r.seconds} s, while headless Chromium (software rendering, 1920×1080) shows
the dashboard's Plant page with every tile (it asks the gateway every 2 s; with the machines the
benchmark does too, to time the answers). Baseline: the same gateway on the same broker, with the same page
open, before any machine announced itself, in this run.

| | idle (baseline) | ${r.machines} machines |
|---|---:|---:|
| gateway CPU, % of one core | ${r.idleCpuPercent.toFixed(2)} | **${r.cpuPercent.toFixed(2)}** |
| gateway RSS, MB | ${r.idleRssMb.toFixed(0)} | ${r.rssMb.toFixed(0)} |
| Plant page, frames/s | ${r.browser.idle.fps.toFixed(1)} | **${r.browser.full.fps.toFixed(1)}** |
| Plant page, long tasks (longest, ms) | ${r.browser.idle.longTasks} (${r.browser.idle.longestTaskMs.toFixed(0)}) | ${r.browser.full.longTasks} (${r.browser.full.longestTaskMs.toFixed(0)}) |

- A freshly started plant view lists all ${r.machines} machines **${r.completeMs.toFixed(0)} ms** after it listens (target: within a second), from the broker's retained messages.
- ${r.messagesPerS.toFixed(1)} announcements/s; \`GET /api/plant/machines\` (all ${r.machines}) answers in ${r.apiP50Ms.toFixed(1)} ms (p50), ${r.apiP99Ms.toFixed(1)} ms (p99); ${r.ignored} messages ignored.
- The Plant page with ${r.machines} tiles draws at ${((r.browser.full.fps / r.browser.idle.fps) * 100).toFixed(0)} % of the empty page's frame rate over the ${r.seconds} s (no live views open).`;
}
