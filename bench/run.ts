/**
 * Benchmarks. Runs inside a private network namespace it creates, so all traffic stays on this
 * machine, and writes the results to docs/benchmarks.md.
 *   npm run bench               full run
 *   npm run bench -- --quick    short run (smoke test and quick look)
 */
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { launchChromium } from "../test/helpers/browser.js";
import { NetNs } from "../test/helpers/netns.js";
import { writeReport } from "./report.js";
import { audioCpu } from "./audioCpu.js";
import { fanout } from "./fanout.js";
import { telemetryLatency } from "./telemetryLatency.js";

const { values } = parseArgs({ options: { quick: { type: "boolean" }, smoke: { type: "boolean" }, seconds: { type: "string" }, "no-report": { type: "boolean" } } });
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

const seconds = Number(values.seconds ?? (values.quick ? 5 : 30));
const fanoutCounts = values.smoke ? [1, 2] : values.quick ? [1, 5, 10, 20] : [1, 5, 10, 20, 40];
const browser = await launchChromium();
try {
  const latency = await telemetryLatency(browser, seconds);
  const fmt = (n: number) => n.toFixed(2);
  console.log(`telemetry latency, ${latency.channels} channels × ${latency.rateHz} Hz, ${seconds} s per path (ms)`);
  console.log("path                      samples  lost    p50     p95     p99     max");
  for (const [name, s] of [["serial → gateway → WebRTC", latency.gateway], ["MQTT → Mosquitto → WS", latency.mqttWs]] as const) {
    console.log(`${name.padEnd(26)}${String(s.samples).padStart(7)}${String(s.lost).padStart(6)}${fmt(s.p50).padStart(8)}${fmt(s.p95).padStart(8)}${fmt(s.p99).padStart(8)}${fmt(s.max).padStart(8)}`);
  }
  console.log(`p99 ratio gateway / MQTT-over-WebSocket: ${(latency.gateway.p99 / latency.mqttWs.p99).toFixed(2)}`);

  const fan = await fanout(fanoutCounts, values.smoke ? 1 : values.quick ? 4 : 10);
  console.log("\nfan-out of the thermal video track (+ telemetry)\nviewers  gateway CPU %  gateway RSS MB  UDP floor CPU %");
  for (const r of fan.rows) console.log(`${String(r.viewers).padStart(7)}${r.gatewayCpuPct.toFixed(1).padStart(15)}${r.gatewayRssMb.toFixed(0).padStart(16)}${r.floorCpuPct.toFixed(1).padStart(17)}`);
  console.log(`CPU per extra viewer: gateway ${fan.gatewayPerViewer.toFixed(2)} %, floor ${fan.floorPerViewer.toFixed(2)} %, ratio ${(fan.gatewayPerViewer / fan.floorPerViewer).toFixed(1)}`);
  const audio = await audioCpu(values.smoke ? 1 : 4, values.smoke ? 1 : values.quick ? 5 : 15);
  console.log(`\nmicrophones (${audio.microphones}, 16 kHz analysis): per microphone ffmpeg capture+Opus ${audio.capturePerMic.toFixed(2)} %, gateway analysis ${audio.analysisPerMic.toFixed(2)} %, bare ffmpeg read ${audio.baselinePerMic.toFixed(2)} %`);
  if (!values["no-report"]) writeReport({ latency, fanout: fan, audio, quick: Boolean(values.quick), command: `npm run bench${values.quick ? " -- --quick" : ""}` });
} finally {
  await browser.close();
}
