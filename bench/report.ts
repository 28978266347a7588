import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { ROOT } from "../test/helpers/gateway.js";
import type { AudioCpuResult } from "./audioCpu.js";
import type { FanoutResult } from "./fanout.js";
import type { TelemetryLatencyResult } from "./telemetryLatency.js";

function version(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).split("\n")[0].trim();
  } catch {
    return "unknown";
  }
}

export function writeReport(r: { latency: TelemetryLatencyResult; fanout: FanoutResult; audio: AudioCpuResult; quick: boolean; command: string }): void {
  const pkg = (name: string) => JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")).version as string;
  const l = r.latency;
  const f = r.fanout;
  const a = r.audio;
  const row = (name: string, s: TelemetryLatencyResult["gateway"]) =>
    `| ${name} | ${s.samples} | ${s.lost} | ${s.p50.toFixed(2)} | ${s.p95.toFixed(2)} | ${s.p99.toFixed(2)} | ${s.max.toFixed(2)} |`;
  const text = `# Benchmarks

Numbers from \`${r.command}\`${r.quick ? " (quick run: short, indicative only)" : ""}, measured ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC.
Every figure is compared with a baseline measured in the same run on the same machine.

## Machine

- CPU: ${cpus()[0]?.model ?? "unknown"} × ${cpus().length}, memory ${(totalmem() / 2 ** 30).toFixed(0)} GiB
- Node ${process.versions.node}, werift ${pkg("werift")}, mqtt.js ${pkg("mqtt")}
- ${version("/usr/bin/chromium", ["--version"])}, ${version("mosquitto", ["-h"])}
- Everything runs inside a private network namespace created by the benchmark (loopback and a veth pair).

## Telemetry latency: serial tty → browser

${l.channels} channels × ${l.rateHz} Hz (one line of ${l.channels} values every ${1000 / l.rateHz} ms), ${l.seconds} s per path.
Latency is measured per sample from just before the bytes are written to just after the page's
\`onmessage\` runs; both clocks are the same machine's clock (\`performance.timeOrigin + performance.now()\`).

- **wachter**: the bytes are written to a real kernel tty (socat pty pair); the gateway parses them,
  passes them through the hub and sends them on the \`telemetry\` data channel (werift) to headless Chromium.
- **Baseline, MQTT over WebSocket**: what users pick instead. The same samples as JSON are published
  to a real Mosquitto with a WebSocket listener and received by mqtt.js in the same browser.

| path | samples | lost | p50 ms | p95 ms | p99 ms | max ms |
|---|---:|---:|---:|---:|---:|---:|
${row("wachter: tty → gateway → WebRTC data channel", l.gateway)}
${row("baseline: MQTT → Mosquitto → WebSocket", l.mqttWs)}

**p99 ratio wachter / baseline: ${(l.gateway.p99 / l.mqttWs.p99).toFixed(2)}** (target ≤ 1.0, and p99 < 20 ms on loopback).

## Fan-out: one thermal encode, N viewers

The simulated machine's 32×24 camera at 8 frames/s, colourised and encoded once (VP8, 640×480),
forwarded by werift to N viewers that also receive telemetry. The viewers are werift peers in a
separate process. Gateway CPU is the Node process only (the shared ffmpeg encoder is a child
process whose cost does not depend on N), sampled from \`/proc\` over the measurement window.

**Floor:** a plain UDP replay of the same RTP packets (sizes and timing recorded from a viewer:
${f.packetsPerSecond.toFixed(0)} packets/s of ${f.bytesPerPacket.toFixed(0)} bytes on average) from one
socket to N sockets in another process — no encryption, no WebRTC.

| viewers | gateway CPU % of one core | gateway RSS MB | UDP floor CPU % |
|---:|---:|---:|---:|
${f.rows.map((x) => `| ${x.viewers} | ${x.gatewayCpuPct.toFixed(1)} | ${x.gatewayRssMb.toFixed(0)} | ${x.floorCpuPct.toFixed(1)} |`).join("\n")}

**CPU per extra viewer** (least-squares slope): gateway ${f.gatewayPerViewer.toFixed(2)} %, floor
${f.floorPerViewer.toFixed(2)} %, **ratio ${(f.gatewayPerViewer / f.floorPerViewer).toFixed(1)}** (target ≤ 3).

## Microphones: capture and analysis

${a.microphones} microphones fed with white noise at 48 kHz through FIFOs (standing in for ALSA),
for ${a.seconds} s. Per microphone the gateway runs one ffmpeg (Opus at 32 kbit/s for listening and
16 kHz PCM for analysis) and analyses 10 blocks a second (RMS, peak, FFT octave bands, a
spectrogram column). **Baseline:** a bare ffmpeg reading the same stream and discarding it.

| per microphone, % of one core | ffmpeg capture + Opus + resample | gateway analysis | total | baseline: bare ffmpeg read |
|---|---:|---:|---:|---:|
| | ${a.capturePerMic.toFixed(2)} | ${a.analysisPerMic.toFixed(2)} | ${(a.capturePerMic + a.analysisPerMic).toFixed(2)} | ${a.baselinePerMic.toFixed(2)} |

Ratio total / baseline: **${((a.capturePerMic + a.analysisPerMic) / Math.max(0.01, a.baselinePerMic)).toFixed(1)}**.
`;
  writeFileSync(join(ROOT, "docs/benchmarks.md"), text);
  console.log("wrote docs/benchmarks.md");
}
