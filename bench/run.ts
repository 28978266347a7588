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
import { telemetryLatency } from "./telemetryLatency.js";

const { values } = parseArgs({ options: { quick: { type: "boolean" }, seconds: { type: "string" }, "no-report": { type: "boolean" } } });

if (!process.env.WACHTER_BENCH_NETNS) {
  const args = process.argv.slice(1).map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const script = `${NetNs.setupScript(10_222)} && exec '${process.execPath}' --import tsx ${args}`;
  const run = spawnSync("unshare", ["--net", "--", "sh", "-c", script], { stdio: "inherit", env: { ...process.env, WACHTER_BENCH_NETNS: "1" } });
  process.exit(run.status ?? 1);
}

const seconds = Number(values.seconds ?? (values.quick ? 5 : 30));
const browser = await launchChromium();
try {
  const latency = await telemetryLatency(browser, seconds);
  const fmt = (n: number) => n.toFixed(2);
  const ratio = latency.gateway.p99 / latency.mqttWs.p99;
  console.log(`telemetry latency, ${latency.channels} channels × ${latency.rateHz} Hz, ${seconds} s per path (ms)`);
  console.log("path                      samples  lost    p50     p95     p99     max");
  for (const [name, s] of [["serial → gateway → WebRTC", latency.gateway], ["MQTT → Mosquitto → WS", latency.mqttWs]] as const) {
    console.log(`${name.padEnd(26)}${String(s.samples).padStart(7)}${String(s.lost).padStart(6)}${fmt(s.p50).padStart(8)}${fmt(s.p95).padStart(8)}${fmt(s.p99).padStart(8)}${fmt(s.max).padStart(8)}`);
  }
  console.log(`p99 ratio gateway / MQTT-over-WebSocket: ${ratio.toFixed(2)}`);
  if (!values["no-report"]) writeReport({ latency, quick: Boolean(values.quick), command: `npm run bench${values.quick ? " -- --quick" : ""}` });
} finally {
  await browser.close();
}
