/**
 * Benchmarks. Runs inside a private network namespace it creates, so all traffic stays on this
 * machine, and writes the results to docs/benchmarks.md.
 *   npm run bench               full run
 *   npm run bench -- --quick    short run (smoke test and quick look)
 *   npm run bench -- --soak 60 --soak-only    just the soak, for an hour (no report)
 *   npm run bench -- --only fieldbus          just one section (latency, fanout, demo, joins, datachannel, fieldbus, backtest, history, dashboard, sdwear, memory, slowviewer, plant, incidents), updated in place
 */
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { launchChromium } from "../test/helpers/browser.js";
import { NetNs } from "../test/helpers/netns.js";
import { fanoutSection, latencySection, writeFanoutPlot, writeLatencyPlot, writeReport } from "./report.js";
import { demoCost, demoCostSection, printDemoCost } from "./demoCost.js";
import { JOINS_BASELINE_REV, joinCost, type JoinCostResult, type JoinsBaseline, joinsRatio, joinsSection, meanJoinMs, roundRatios } from "./joins.js";
import { buildAt } from "./baseline.js";
import { keyExchange } from "./keyExchange.js";
import { audioCpu } from "./audioCpu.js";
import { datachannelSection, type DcSummary, dcThroughputRounds } from "./dcThroughput.js";
import { backtests, backtestSection, type BacktestCase } from "./backtest.js";
import { historyQueries, historyQuerySection } from "./historyQuery.js";
import { dashboards, dashboardSection } from "./dashboard.js";
import { sdWear, sdWearSection } from "./sdWear.js";
import { memory, memorySection } from "./memory.js";
import { fieldbus, fieldbusSection } from "./fieldbus.js";
import { updateSection } from "./sections.js";
import { slowViewer, slowViewerSection } from "./slowViewer.js";
import { plantView, plantViewSection } from "./plantView.js";
import { incidentCost, incidentCostSection, printIncidentCost } from "./incidentCost.js";
import { ingest } from "./ingest.js";
import { profileFanout } from "./profile.js";
import { soak, type SoakResult } from "./soak.js";
import { fanout, type FanoutResult } from "./fanout.js";
import { telemetryLatency, type TelemetryLatencyResult } from "./telemetryLatency.js";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean" },
    smoke: { type: "boolean" },
    seconds: { type: "string" },
    soak: { type: "string" },
    profile: { type: "boolean" },
    "soak-only": { type: "boolean" },
    "no-report": { type: "boolean" },
    only: { type: "string" },
  },
});
// --smoke: the whole benchmark path in seconds, for the test suite (no timing is judged).
if (values.smoke) {
  values.seconds = "1";
  values["no-report"] = true;
}

if (!process.env.WACHTER_BENCH_NETNS) {
  const args = process.argv.slice(1).map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const script = `${NetNs.setupScript(10_222)} && exec '${process.execPath}' --import tsx ${args}`;
  const run = spawnSync("unshare", ["--net", "--", "sh", "-c", script], { stdio: "inherit", env: { ...process.env, WACHTER_BENCH_NETNS: "1" } });
  process.exit(run.status ?? 1);
}

// Exit through process.exit so the harness's child processes are ended too.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(130));

// --profile: only where the gateway's CPU goes with 20 viewers (for the fan-out target), then stop.
if (values.profile) {
  const p = await profileFanout(20, Number(values.seconds ?? 20));
  console.log(`gateway CPU profile, ${p.viewers} viewers of the thermal track, ${p.seconds} s (share of busy time)`);
  for (const x of p.byPart) console.log(`${x.percent.toFixed(1).padStart(6)} %  ${x.part}`);
  console.log("\ntop functions by self time");
  for (const x of p.top) console.log(`${x.percent.toFixed(1).padStart(6)} %  ${x.fn}  ${x.where}`);
  process.exit(0);
}

const seconds = Number(values.seconds ?? (values.quick ? 5 : 30));
const latencyRounds = values.quick || values.smoke ? 1 : 3;
const fanoutCounts = values.smoke ? [1, 2] : values.quick ? [1, 5, 10, 20] : [1, 5, 10, 20, 40];
const fanoutSeconds = values.smoke ? 1 : values.quick ? 4 : 10;

function printLatency(latency: TelemetryLatencyResult): void {
  const fmt = (n: number) => n.toFixed(2);
  console.log(`telemetry latency, ${latency.channels} channels × ${latency.rateHz} Hz, ${latency.seconds} s per path in ${latency.rounds} interleaved rounds (ms)`);
  console.log("path                      samples  lost    p50     p95     p99     max");
  for (const [name, s] of [["serial → gateway, unbatched", latency.gatewayUnbatched], ["serial → gateway, batched", latency.gateway], ["MQTT → Mosquitto → WS", latency.mqttWs], ["tty hop alone (socat)", latency.ttyHop], ["werift data channel alone", latency.weriftAlone], ["libdatachannel alone", latency.ndcAlone]] as const) {
    console.log(`${name.padEnd(26)}${String(s.samples).padStart(7)}${String(s.lost).padStart(6)}${fmt(s.p50).padStart(8)}${fmt(s.p95).padStart(8)}${fmt(s.p99).padStart(8)}${fmt(s.max).padStart(8)}`);
  }
  console.log(`p99 ratio gateway unbatched / MQTT-over-WebSocket: ${(latency.gatewayUnbatched.p99 / latency.mqttWs.p99).toFixed(2)} (rounds: ${latency.roundRatios.map(fmt).join(", ")}), batched ${(latency.gateway.p99 / latency.mqttWs.p99).toFixed(2)}`);
}

function printFanout(fan: FanoutResult): void {
  console.log("\nfan-out of the thermal video track + telemetry (and the video alone)\nviewers  gateway CPU %  video only CPU %  unbatched CPU %  gateway RSS MB  UDP floor CPU %  SRTP floor CPU %");
  for (const r of fan.rows) console.log(`${String(r.viewers).padStart(7)}${r.gatewayCpuPct.toFixed(1).padStart(15)}${r.videoOnlyCpuPct.toFixed(1).padStart(18)}${r.unbatchedCpuPct.toFixed(1).padStart(17)}${r.gatewayRssMb.toFixed(0).padStart(16)}${r.floorCpuPct.toFixed(1).padStart(17)}${r.srtpFloorCpuPct.toFixed(1).padStart(18)}`);
  console.log(`CPU per extra viewer: gateway ${fan.gatewayPerViewer.toFixed(2)} % (video alone ${fan.videoOnlyPerViewer.toFixed(2)} %, unbatched ${fan.unbatchedPerViewer.toFixed(2)} %), UDP floor ${fan.floorPerViewer.toFixed(3)} %, SRTP floor ${fan.srtpFloorPerViewer.toFixed(3)} %, ratio ${(fan.gatewayPerViewer / fan.floorPerViewer).toFixed(1)} (video alone ${(fan.videoOnlyPerViewer / fan.videoFloorPerViewer).toFixed(1)} to its own floor; to the SRTP floor ${(fan.gatewayPerViewer / fan.srtpFloorPerViewer).toFixed(1)}); telemetry ${fan.telemetryMessagesPerViewerSecond.toFixed(1)} messages/s per viewer batched, ${fan.unbatchedMessagesPerViewerSecond.toFixed(1)} unbatched`);
}

function printFieldbus(f: Awaited<ReturnType<typeof fieldbus>>): void {
  const m = f.modbus;
  console.log(`\nModbus TCP, ${m.requests} polls × ${m.pointsPerRequest} float32 points: wachter ${m.gatewayPerSec.toFixed(0)} polls/s (${m.cpuPer1000Points.toFixed(2)} % per 1000 points/s), modbus-serial alone ${m.libraryPerSec.toFixed(0)} polls/s`);
  const s = f.sparkplug;
  console.log(`\nSparkplug B ingest, ${s.messages} DDATA × ${s.metricsPerMessage} metrics: wachter ${s.gatewayPerSec.toFixed(0)}/s (${s.cpuPer1000.toFixed(2)} % per 1000/s), bare subscriber ${s.bareCountPerSec.toFixed(0)}/s, bare + decode ${s.bareDecodePerSec.toFixed(0)}/s`);
}

function printDatachannel(dc: DcSummary[]): void {
  console.log("\ndata channel with Chromium, 16 KiB messages (Mbit/s)");
  for (const d of dc) console.log(`${d.stack.padEnd(18)} to browser ${d.toBrowserMbps.toFixed(0).padStart(5)}   from browser ${d.fromBrowserMbps.toFixed(0).padStart(5)}   (medians of ${d.runs.map((x) => `${x.toBrowserMbps.toFixed(0)}/${x.fromBrowserMbps.toFixed(0)}`).join(", ")}); CPU ms per MiB sent ${d.toBrowserCpuMsPerMiB.toFixed(0)}, received ${d.fromBrowserCpuMsPerMiB.toFixed(0)}`);
}

function printBacktests(cases: BacktestCase[]): void {
  for (const c of cases) console.log(`\nbacktest ${c.name}: ${c.samples} samples, ${c.firings} firings, worker ${c.workerMs.toFixed(0)} ms (event-loop lag p99 ${c.lagP99Ms.toFixed(1)} ms, max ${c.lagMaxMs.toFixed(1)} ms); on the main thread ${c.inlineMs.toFixed(0)} ms`);
}

if (values.only === "fieldbus") {
  const f = await fieldbus(values.smoke ? 1000 : values.quick ? 10_000 : 50_000, values.smoke ? 200 : values.quick ? 2000 : 10_000);
  printFieldbus(f);
  if (!values["no-report"]) updateSection("fieldbus", fieldbusSection(f), { runsGateway: false });
  process.exit(0);
} else if (values.only === "backtest") {
  const cases = await backtests();
  printBacktests(cases);
  if (!values["no-report"]) updateSection("backtest", backtestSection(cases), { runsGateway: false });
  process.exit(0);
} else if (values.only === "history") {
  const repeats = values.smoke ? 1 : 5;
  const cases = await historyQueries(repeats);
  for (const c of cases) console.log(`history ${c.name}: ${c.points} points; reader ${c.readerMs.toFixed(0)} ms, event loop held at most ${c.readerLagMaxMs.toFixed(1)} ms; own thread ${c.inlineMs.toFixed(0)} ms, held ${c.inlineLagMaxMs.toFixed(1)} ms`);
  if (!values["no-report"]) updateSection("history", historyQuerySection(cases, repeats), { runsGateway: false });
  process.exit(0);
} else if (values.only === "dashboard") {
  const runs = await dashboards(values.smoke ? 10 : values.quick ? 30 : 120);
  if (!values["no-report"]) updateSection("dashboard", dashboardSection(runs));
  process.exit(0);
} else if (values.only === "sdwear") {
  const runs = await sdWear(values.smoke ? 5 : 60, values.smoke ? 10 : values.quick ? 60 : 300);
  if (!values["no-report"]) updateSection("sdwear", sdWearSection(runs));
  process.exit(0);
} else if (values.only === "memory") {
  const runs = await memory(values.smoke ? [0, 1] : [0, 1, 5, 10], values.smoke ? 1 : values.quick ? 5 : 15, values.smoke ? 1 : values.quick ? 5 : 15);
  if (!values["no-report"]) updateSection("memory", memorySection(runs));
  process.exit(0);
} else if (values.only === "slowviewer") {
  const r = await slowViewer(4, values.smoke ? 2 : values.quick ? 5 : 10, values.smoke ? 1 : values.quick ? 4 : 8);
  console.log(`\nslow viewer (${r.slowKbit} kbit/s): the ${r.fastViewers} others' telemetry p95 ${r.without.p95.toFixed(1)} ms without it, ${r.with.p95.toFixed(1)} ms with it (${((r.with.p95 / r.without.p95 - 1) * 100).toFixed(1)} %); its own p95 ${r.slow.p95.toFixed(1)} ms, ${r.slowKbitReceived.toFixed(0)} kbit/s received; gateway CPU ${r.cpu.without.toFixed(0)} → ${r.cpu.with.toFixed(0)} %, RSS ${r.rssMb.without.toFixed(0)} → ${r.rssMb.with.toFixed(0)} MB`);
  if (!values["no-report"]) updateSection("slowviewer", slowViewerSection(r));
  process.exit(0);
} else if (values.only === "plant") {
  const r = await plantView(values.smoke ? 10 : 100, values.smoke ? 5 : values.quick ? 20 : 60);
  console.log(`plant view, ${r.machines} machines: complete ${r.completeMs.toFixed(0)} ms after start, CPU ${r.cpuPercent.toFixed(2)} % (idle ${r.idleCpuPercent.toFixed(2)} %), RSS ${r.rssMb.toFixed(0)} MB (idle ${r.idleRssMb.toFixed(0)}), API p50 ${r.apiP50Ms.toFixed(1)} ms p99 ${r.apiP99Ms.toFixed(1)} ms, ${r.messagesPerS.toFixed(1)} msg/s, ${r.ignored} ignored; Plant page ${r.browser.full.fps.toFixed(1)} fps (empty ${r.browser.idle.fps.toFixed(1)}), ${r.browser.full.longTasks} long tasks`);
  if (!values["no-report"]) updateSection("plant", plantViewSection(r));
  process.exit(0);
} else if (values.only === "incidents") {
  const browser = await launchChromium();
  const r = await incidentCost(browser, values.smoke ? 10 : values.quick ? 30 : 120).finally(() => browser.close());
  printIncidentCost(r);
  if (!values["no-report"]) updateSection("incidents", incidentCostSection(r));
  process.exit(0);
} else if (values.only === "fanout") {
  const fan = await fanout(fanoutCounts, fanoutSeconds);
  printFanout(fan);
  if (!values["no-report"]) {
    updateSection("fanout", fanoutSection(fan));
    writeFanoutPlot(fan);
  }
  process.exit(0);
} else if (values.only === "latency") {
  const browser = await launchChromium();
  const latency = await telemetryLatency(browser, seconds, latencyRounds).finally(() => browser.close());
  printLatency(latency);
  if (!values["no-report"]) {
    updateSection("latency", latencySection(latency));
    writeLatencyPlot(latency);
  }
  process.exit(0);
} else if (values.only === "demo") {
  const r = await demoCost(values.smoke ? 2 : values.quick ? 10 : 30);
  printDemoCost(r);
  if (!values["no-report"]) updateSection("demo", demoCostSection(r));
  process.exit(0);
} else if (values.only === "joins") {
  const kx = keyExchange(values.smoke ? 30 : 600);
  for (const c of kx.curves) console.log(`DTLS key exchange ${c.curve}: werift as installed ${c.installedMs.toFixed(3)} ms, JavaScript ${c.javascriptMs.toFixed(3)} ms`);
  const joins = values.smoke ? 2 : values.quick ? 10 : 30;
  const baselineCli = buildAt(JOINS_BASELINE_REV, { publishedWerift: true });
  const baseline: JoinsBaseline = { rev: JOINS_BASELINE_REV, currentMs: [], baselineMs: [] };
  const rounds: JoinCostResult[] = [];
  for (let round = 0; round < (values.smoke ? 1 : 5); round++) {
    rounds.push(await joinCost(joins));
    baseline.currentMs.push(rounds[round].cpuMsPerJoin);
    baseline.baselineMs.push((await joinCost(joins, { cli: baselineCli })).cpuMsPerJoin);
    console.log(`round ${round + 1}: ${baseline.currentMs[round].toFixed(1)} ms per join, baseline ${baseline.baselineMs[round].toFixed(1)} ms`);
  }
  const measured = rounds.at(-1)!;
  const profiled = await joinCost(joins, { profile: true });
  console.log(`viewer joins: ${meanJoinMs(baseline).toFixed(1)} ms of gateway CPU per join on average (last round's steady ${measured.steadyBeforePct.toFixed(1)} → ${measured.steadyAfterPct.toFixed(1)} %), ${joinsRatio(baseline).toFixed(2)}× the baseline (rounds ${roundRatios(baseline).map((x) => x.toFixed(2)).join(", ")})`);
  for (const x of profiled.profile!.byPart) console.log(`${x.percent.toFixed(1).padStart(6)} %  ${x.part}`);
  for (const x of profiled.profile!.top) console.log(`${x.percent.toFixed(1).padStart(6)} %  ${x.fn}  ${x.where}`);
  if (!values["no-report"]) updateSection("joins", joinsSection({ ...measured, profile: profiled.profile }, kx, baseline));
  process.exit(0);
} else if (values.only === "datachannel") {
  const browser = await launchChromium();
  const dc = await dcThroughputRounds(browser, values.smoke ? 1 : values.quick ? 8 : 32, values.smoke ? 1 : 3).finally(() => browser.close());
  printDatachannel(dc);
  if (!values["no-report"]) updateSection("datachannel", datachannelSection(dc));
  process.exit(0);
} else if (values.only !== undefined) {
  console.error(`--only: expected latency, fanout, demo, joins, datachannel, fieldbus, backtest, history, dashboard, sdwear, memory, slowviewer, plant or incidents, got "${values.only}"`);
  process.exit(2);
}

function printSoak(soaked: SoakResult): void {
  const heap = soaked.liveHeapFloor;
  console.log(`\nsoak ${soaked.minutes} min, ${soaked.viewers} viewers, one replaced every ${soaked.churnSeconds} s (${soaked.joins} joins), NODE_OPTIONS="${soaked.nodeOptions}": gateway CPU ${soaked.cpuPercent.toFixed(1)} % of a core, RSS ${soaked.rssStartMb.toFixed(0)} → ${soaked.rssEndMb.toFixed(0)} MB (${soaked.rssSlopeMbPerHour.toFixed(1)} MB/h after warm-up), lowest heap after a full GC ${heap[0]?.[1] ?? "-"} → ${heap.at(-1)?.[1] ?? "-"} MB (${soaked.liveHeap.length} GCs, ${soaked.liveHeapSlopeMbPerHour.toFixed(1)} MB/h; V8 holding ${soaked.heapCommitted[0]?.[1] ?? "-"} → ${soaked.heapCommitted.at(-1)?.[1] ?? "-"} MB after them), outside the heap ${soaked.external[0]?.[1].toFixed(1) ?? "-"} → ${soaked.external.at(-1)?.[1].toFixed(1) ?? "-"} MB, fds ${soaked.fdsStart} → ${soaked.fdsEnd}, handles ${soaked.handlesStart} → ${soaked.handlesEnd}, sessions at the end ${soaked.sessionsEnd}, latency p99 ${soaked.latencyStart.p99.toFixed(2)} → ${soaked.latencyEnd.p99.toFixed(2)} ms; p99 while a viewer joins ${soaked.latencyDuringJoins.p99.toFixed(2)} ms (${soaked.latencyDuringJoins.samples} samples), between joins ${soaked.latencyBetweenJoins.p99.toFixed(2)} ms (${soaked.latencyBetweenJoins.samples})`);
}

const browser = await launchChromium();
try {
  if (values["soak-only"]) {
    const soaked = await soak(browser, Number(values.soak ?? 10));
    printSoak(soaked);
    for (let i = 0; i < soaked.rss.length; i += 12) {
      const [t, rss] = soaked.rss[i];
      const held = soaked.heapCommitted.findLast(([at]) => at <= t)?.[1];
      console.log(`  ${(t / 60_000).toFixed(1)} min: RSS ${rss.toFixed(1)} MB, V8 holding ${held ?? "-"} MB after the last full GC, outside the heap ${soaked.external[i][1].toFixed(1)} MB`);
    }
    process.exit(0);
  }
  const latency = await telemetryLatency(browser, seconds, latencyRounds);
  printLatency(latency);

  const fan = await fanout(fanoutCounts, fanoutSeconds);
  printFanout(fan);
  const audio = await audioCpu(values.smoke ? 1 : 4, values.smoke ? 1 : values.quick ? 5 : 15);
  console.log(`\nmicrophones (${audio.microphones}, 16 kHz analysis): per microphone ffmpeg capture+Opus ${audio.capturePerMic.toFixed(2)} %, gateway analysis ${audio.analysisPerMic.toFixed(2)} %, bare ffmpeg read ${audio.baselinePerMic.toFixed(2)} %`);

  const dc = await dcThroughputRounds(browser, values.smoke ? 1 : values.quick ? 8 : 32, values.smoke ? 1 : 3);
  printDatachannel(dc);

  const ing = await ingest(values.smoke ? 1 : values.quick ? 5 : 20, values.smoke ? 2000 : values.quick ? 20_000 : 100_000);
  console.log(`\ningest: serial ${ing.serial.gatewayMBps.toFixed(1)} MB/s (${(ing.serial.gatewayReadingsPerSec / 1e6).toFixed(2)} M readings/s) vs naive parse ${ing.serial.baselineMBps.toFixed(1)} MB/s; MQTT ${ing.mqtt.gatewayPerSec.toFixed(0)}/s vs bare subscriber ${ing.mqtt.baselinePerSec.toFixed(0)}/s`);

  const field = await fieldbus(values.smoke ? 1000 : values.quick ? 10_000 : 50_000, values.smoke ? 200 : values.quick ? 2000 : 10_000);
  printFieldbus(field);
  const backtested = await backtests();
  printBacktests(backtested);

  const soaked = await soak(browser, Number(values.soak ?? (values.smoke ? 0.25 : values.quick ? 1 : 10)));
  printSoak(soaked);

  if (!values["no-report"]) {
    writeReport({ latency, fanout: fan, audio, dc, ingest: ing, fieldbus: field, backtests: backtested, soak: soaked, quick: Boolean(values.quick), command: `npm run bench${values.quick ? " -- --quick" : ""}${values.soak ? ` -- --soak ${values.soak}` : ""}` });
  }
} finally {
  await browser.close();
}
