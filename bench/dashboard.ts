import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CDPSession, Page } from "playwright-core";
import { launchChromium, signIn } from "../test/helpers/browser.js";
import { ADMIN_PASSWORD, CLI, GatewayProcess, ROOT } from "../test/helpers/gateway.js";
import { Mosquitto } from "../test/helpers/mosquitto.js";
import { freePort } from "../test/helpers/ports.js";
import { Proc } from "../test/helpers/processes.js";
import { buildAt } from "./baseline.js";
import { lineChart } from "./plots.js";
import { median } from "./stats.js";

/** The dashboard as the issue found it: the last commit before it became a Preact application. */
export const BASELINE_REV = "da9c65b^";
const MQTT_CHANNELS = 45;
/** Channels the publisher sends once and then never again, so the overview has stale cards. */
const SILENT = 3;
const CPU_THROTTLE = 4;

export interface DashboardRun {
  dashboard: "baseline" | "current";
  rateHz: number;
  seconds: number;
  fps: number;
  longTasksPerMin: number;
  longTaskMs: number;
  longestTaskMs: number;
  busyPct: number;
  heapStartMb: number;
  heapEndMb: number;
  /** Of what was allocated in the window and still lives at its end: the page's history of readings (it keeps an hour), by V8's sampling heap profiler. */
  historyMb: number;
  /** Median of three page loads, signed in, to the first number on a card: unthrottled and at ×4. */
  firstValueMs: number;
  firstValueThrottledMs: number;
  /** Frames per second in each 10 s of the window, for the plot. */
  fpsTrace: Array<[number, number]>;
}

const ZONES = ["feed throat", "rear heater band", "middle heater band", "front heater band", "adapter", "die"];

/** The plant the issue describes: the simulated machine overheating, plus 45 MQTT temperatures with long names. */
function plantConfig(brokerPort: number): object {
  const topics = Array.from({ length: MQTT_CHANNELS }, (_, i) => {
    const line = Math.floor(i / 15) + 1;
    const zone = ZONES[i % ZONES.length];
    return { filter: `plant/ex${line}/t${i}`, channel: `ex${line}.t${i}`, name: `Extruder ${line} barrel zone ${String(i + 1).padStart(2, "0")} temperature (${zone})`, unit: "°C" };
  });
  return {
    name: "Extruder hall 2, line 3 (simulated mill + 45 MQTT)",
    sources: [
      { id: "sim", type: "simulated", rateHz: 5, scenario: "overheat" },
      { id: "plant", type: "mqtt", url: `mqtt://127.0.0.1:${brokerPort}`, staleAfter: "10s", topics },
    ],
    alerts: { rules: [{ id: "bearing-hot", name: "Spindle bearing overheating", channels: ["spindle.bearing"], severity: "critical", when: { above: 80, clear: 75 }, for: "3s" }] },
  };
}

/** Publishes the 45 temperatures from inside the namespace (where the broker is), a random walk each. */
function publisherScript(brokerPort: number, rateHz: number): string {
  return `import mqtt from "mqtt";
const c = await mqtt.connectAsync("mqtt://127.0.0.1:${brokerPort}");
const v = Array.from({ length: ${MQTT_CHANNELS} }, (_, i) => 150 + i * 3);
let tick = 0;
setInterval(() => {
  for (let i = 0; i < v.length; i++) {
    if (i < ${SILENT} && tick > 0) continue;
    v[i] += (Math.random() - 0.5) * 0.4;
    c.publish("plant/ex" + (Math.floor(i / 15) + 1) + "/t" + i, v[i].toFixed(2));
  }
  tick++;
}, ${1000 / rateHz});`;
}

// Counts frames, long tasks and the first number on a card from the page's own start. A string, not a
// function: tsx would wrap the function's inner arrows in a helper the page does not have.
const PROBE = `(() => {
  const b = { frames: 0, longTasks: [], firstValue: -1 };
  window.__bench = b;
  const frame = () => { b.frames++; requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
  new PerformanceObserver((list) => { for (const e of list.getEntries()) b.longTasks.push(e.duration); }).observe({ type: "longtask", buffered: true });
  const observer = new MutationObserver(() => {
    if (b.firstValue < 0 && [...document.querySelectorAll("[data-channel] .value")].some((e) => /\\d/.test(e.textContent ?? ""))) {
      b.firstValue = performance.now();
      observer.disconnect();
    }
  });
  document.addEventListener("DOMContentLoaded", () => observer.observe(document.body, { subtree: true, childList: true, characterData: true }));
})();`;

interface Probe {
  frames: number;
  longTasks: number[];
  firstValue: number;
}
const probe = (page: Page) => page.evaluate(() => (window as unknown as { __bench: Probe }).__bench);

async function taskSeconds(cdp: CDPSession): Promise<number> {
  const { metrics } = await cdp.send("Performance.getMetrics");
  return metrics.find((m) => m.name === "TaskDuration")!.value;
}

async function liveHeapMb(cdp: CDPSession): Promise<number> {
  await cdp.send("HeapProfiler.collectGarbage");
  const { metrics } = await cdp.send("Performance.getMetrics");
  return metrics.find((m) => m.name === "JSHeapUsedSize")!.value / 1e6;
}

interface SamplingNode {
  callFrame: { functionName: string };
  selfSize: number;
  children: SamplingNode[];
}

/**
 * Bytes allocated since the sampling started and still live, that the page's store allocated for
 * its history: the readings it keeps (Store.apply, called by the link's `message` callback; history
 * from the gateway and the API is merged in as the page opens, before the window). V8 scales the
 * samples to estimate the whole.
 */
async function historyMb(cdp: CDPSession): Promise<number> {
  const { profile } = (await cdp.send("HeapProfiler.getSamplingProfile")) as unknown as { profile: { head: SamplingNode } };
  await cdp.send("HeapProfiler.stopSampling");
  let bytes = 0;
  const walk = (node: SamplingNode, parent: string, inHistory: boolean) => {
    const name = node.callFrame.functionName;
    const history = inHistory || (name === "apply" && parent === "message");
    if (history) bytes += node.selfSize;
    for (const child of node.children) walk(child, name, history);
  };
  walk(profile.head, "", false);
  return bytes / 1e6;
}


async function firstValue(page: Page, cdp: CDPSession, throttle: number): Promise<number> {
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: throttle });
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    await page.reload();
    await page.waitForFunction(() => (window as unknown as { __bench: Probe }).__bench.firstValue >= 0, undefined, { timeout: 30_000 }).catch(async (err) => {
      const seen = await page.evaluate(() => ({ probe: (window as unknown as { __bench?: Probe }).__bench, values: [...document.querySelectorAll("[data-channel] .value")].slice(0, 3).map((e) => e.textContent), login: !document.getElementById("login")?.hidden }));
      throw new Error(`${(err as Error).message}: ${JSON.stringify(seen)}`);
    });
    times.push((await probe(page)).firstValue);
  }
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 1 });
  return median(times);
}

/** One dashboard on its own gateway and broker, inside the benchmark's network namespace. */
async function measure(dashboard: DashboardRun["dashboard"], cli: string, rateHz: number, seconds: number): Promise<DashboardRun> {
  const t0 = performance.now();
  const step = (what: string) => process.env.BENCH_TRACE && console.log(`  ${dashboard} ${rateHz} Hz: ${what} at ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const broker = new Mosquitto();
  await broker.start();
  const port = await freePort();
  const gateway = new GatewayProcess(plantConfig(broker.port), undefined, ["--port", String(port)]).asDeployed();
  gateway.cli = cli;
  let publisher: Proc | undefined;
  const browser = await launchChromium();
  try {
    await gateway.start();
    publisher = new Proc(process.execPath, ["--input-type=module", "-e", publisherScript(broker.port, rateHz)], { cwd: ROOT });
    const context = await browser.newContext({ viewport: { width: 1024, height: 768 }, locale: "en-GB" });
    await context.addInitScript({ content: PROBE });
    const page = await context.newPage();
    await signIn(page, ADMIN_PASSWORD, `http://127.0.0.1:${port}/`);
    await page.waitForFunction((n) => document.querySelectorAll("[data-channel]").length >= n, MQTT_CHANNELS, { timeout: 30_000 });
    const cdp = await context.newCDPSession(page);
    await cdp.send("Performance.enable");
    step("signed in");
    const firstValueMs = await firstValue(page, cdp, 1);
    step("first value");
    const firstValueThrottledMs = await firstValue(page, cdp, CPU_THROTTLE);
    await page.waitForFunction((n) => document.querySelectorAll("[data-channel]").length >= n, MQTT_CHANNELS, { timeout: 30_000 });
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: CPU_THROTTLE });
    await page.waitForTimeout(15_000);
    step("warmed up");
    // Read unthrottled, as at the end: a forced GC on a page saturated at ×4 can take minutes to be answered.
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: 1 });
    const heapStartMb = await liveHeapMb(cdp);
    await cdp.send("HeapProfiler.startSampling", { samplingInterval: 16_384 });
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: CPU_THROTTLE });
    await page.waitForTimeout(2_000);
    step("heap");
    const start = { probe: await probe(page), task: await taskSeconds(cdp), at: performance.now() };
    const fpsTrace: Array<[number, number]> = [];
    let last = start;
    while (performance.now() - start.at < seconds * 1000) {
      await page.waitForTimeout(10_000);
      const now = { probe: await probe(page), task: await taskSeconds(cdp), at: performance.now() };
      fpsTrace.push([(now.at - start.at) / 1000, ((now.probe.frames - last.probe.frames) * 1000) / (now.at - last.at)]);
      last = now;
    }
    step("window");
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: 1 });
    const heapEndMb = await liveHeapMb(cdp);
    const history = await historyMb(cdp);
    step("heap at the end");
    const wall = (last.at - start.at) / 1000;
    const tasks = last.probe.longTasks.slice(start.probe.longTasks.length);
    if (!gateway.proc?.running || !publisher.running) throw new Error(`${dashboard}: the gateway or the publisher stopped during the run: ${publisher.stderr}`);
    return {
      dashboard,
      rateHz,
      seconds: wall,
      fps: (last.probe.frames - start.probe.frames) / wall,
      longTasksPerMin: (tasks.length * 60) / wall,
      longTaskMs: tasks.reduce((a, b) => a + b, 0),
      longestTaskMs: Math.max(0, ...tasks),
      busyPct: ((last.task - start.task) / wall) * 100,
      heapStartMb,
      heapEndMb,
      historyMb: history,
      firstValueMs,
      firstValueThrottledMs,
      fpsTrace,
    };
  } finally {
    await browser.close();
    await publisher?.stop();
    await gateway.stop();
    await broker.stop();
  }
}

/** Today's dashboard and the baseline in turn, at 1 Hz and at 10 Hz, each on its own gateway and broker. */
export async function dashboards(seconds: number): Promise<DashboardRun[]> {
  const baselineCli = buildAt(BASELINE_REV, { dashboard: true });
  const runs: DashboardRun[] = [];
  for (const rateHz of [1, 10]) {
    for (const [name, cli] of [["baseline", baselineCli], ["current", CLI]] as const) {
      const run = await measure(name, cli, rateHz, seconds);
      console.log(`${name} ${rateHz} Hz: ${run.fps.toFixed(1)} fps, ${run.longTasksPerMin.toFixed(1)} long tasks/min (longest ${run.longestTaskMs.toFixed(0)} ms), main thread ${run.busyPct.toFixed(0)} % busy, heap ${run.heapStartMb.toFixed(1)} → ${run.heapEndMb.toFixed(1)} MB (history ${run.historyMb.toFixed(2)} MB), first value ${run.firstValueMs.toFixed(0)} ms (×${CPU_THROTTLE}: ${run.firstValueThrottledMs.toFixed(0)} ms)`);
      runs.push(run);
    }
  }
  return runs;
}

const COLORS = { baseline: "#868e96", current: "#d9480f" };

export function dashboardSection(runs: DashboardRun[]): string {
  writeFileSync(
    join(ROOT, "docs/bench-dashboard.svg"),
    lineChart({
      title: `Overview frame rate, headless Chromium at CPU ×${CPU_THROTTLE} (simulated machine + ${MQTT_CHANNELS} MQTT channels)`,
      xLabel: "seconds into the window",
      yLabel: "frames per second",
      series: runs.map((r) => ({ name: `${r.dashboard === "current" ? "today" : "baseline"}, ${r.rateHz} Hz`, color: COLORS[r.dashboard], points: r.fpsTrace })),
    }),
  );
  const row = (r: DashboardRun) =>
    `| ${r.dashboard === "current" ? "**today**" : "baseline"} | ${r.rateHz} Hz | ${r.fps.toFixed(1)} | ${r.longTasksPerMin.toFixed(1)} (${(r.longTaskMs / 1000).toFixed(1)} s in all, longest ${r.longestTaskMs.toFixed(0)} ms) | ${r.busyPct.toFixed(0)} % | ${r.heapStartMb.toFixed(1)} → ${r.heapEndMb.toFixed(1)} MB | ${r.historyMb.toFixed(1)} MB | ${r.firstValueMs.toFixed(0)} ms / ${r.firstValueThrottledMs.toFixed(0)} ms |`;
  const ratio = (rateHz: number, key: "fps" | "busyPct") => {
    const b = runs.find((r) => r.dashboard === "baseline" && r.rateHz === rateHz)!;
    const c = runs.find((r) => r.dashboard === "current" && r.rateHz === rateHz)!;
    return (c[key] / b[key]).toFixed(2);
  };
  const signed = (mb: number) => `${mb >= 0 ? "+" : ""}${mb.toFixed(1)}`;
  const targets = (r: DashboardRun) =>
    (
      [
        [`${r.fps.toFixed(1)} fps`, r.fps >= 55],
        [`${r.longTasksPerMin.toFixed(1)} long tasks a minute`, r.longTasksPerMin <= 1],
        [`${r.busyPct.toFixed(0)} % busy`, r.busyPct <= 25],
        [`first value in ${r.firstValueMs.toFixed(0)} ms`, r.firstValueMs <= 1000],
        [`heap ${signed(r.heapEndMb - r.heapStartMb)} MB, ${signed(r.heapEndMb - r.heapStartMb - r.historyMb)} MB besides the history`, r.heapEndMb - r.heapStartMb - r.historyMb <= 0.5],
      ] as const
    )
      .map(([what, ok]) => `${what} ${ok ? "met" : "**missed**"}`)
      .join(", ");
  const seconds = Math.round(runs[0].seconds);
  return `## Dashboard at plant size

The overview of a 1024×768 tablet signed in as admin, in headless Chromium (software rendering) with
CPU throttling ×${CPU_THROTTLE} (\`Emulation.setCPUThrottlingRate\`, standing in for a cheap tablet), for ${seconds} s after 15 s of
warm-up: the simulated machine overheating plus ${MQTT_CHANNELS} MQTT temperatures with long names
(${SILENT} of them stale) published at 1 Hz and at 10 Hz into Mosquitto in the same network namespace. The
baseline is the dashboard as the issue found it (\`${BASELINE_REV}\`, the last commit before the Preact application,
built from git with its own gateway), measured in the same run with the same configuration.
Frames are counted with \`requestAnimationFrame\`, long tasks (> 50 ms) with a \`PerformanceObserver\`, the
main thread's busy share from CDP's \`TaskDuration\`, the heap after a forced GC at both ends of the window,
and how much of its growth is the page's history of readings (the overview keeps an hour of every channel for its
charts, so its heap grows by design until that hour is full): what the store allocated in the window and still holds
at its end, by V8's sampling heap profiler (by the store's function names, which both builds keep);
first value is the median of three page loads (already signed in) to the first number on a card, at ×1 and ×${CPU_THROTTLE}.

| dashboard | rate | fps | long tasks / min | main thread busy | JS heap | of its growth, the history | first value ×1 / ×${CPU_THROTTLE} |
|---|---|---|---|---|---|---|---|
${runs.map(row).join("\n")}

Ratios today / baseline: fps ${ratio(1, "fps")}× at 1 Hz and ${ratio(10, "fps")}× at 10 Hz; main thread busy ${ratio(1, "busyPct")}× and ${ratio(10, "busyPct")}×.
Targets (≥ 55 fps, ≤ 1 long task a minute, ≤ 25 % busy, first value ≤ 1 s, heap flat: at most 0.5 MB more at the end of the window than the history added):
${runs
  .filter((r) => r.dashboard === "current")
  .map((r) => `at ${r.rateHz} Hz ${targets(r)}`)
  .join("; ")}.

![Overview frame rate](bench-dashboard.svg)`;
}
