import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FifoDevice } from "../test/helpers/fifoDevice.js";
import { GatewayProcess } from "../test/helpers/gateway.js";
import { freePort } from "../test/helpers/ports.js";
import { Proc } from "../test/helpers/processes.js";
import { SignalGenerator } from "../test/helpers/signals.js";
import { asPercent, cpuTicks } from "./proc.js";

export interface AudioCpuResult {
  microphones: number;
  seconds: number;
  /** % of one core per microphone. */
  analysisPerMic: number;
  capturePerMic: number;
  baselinePerMic: number;
}

function ticks(pid: number): number {
  try {
    return cpuTicks(pid);
  } catch {
    return 0;
  }
}

const children = (pid: number) => {
  try {
    return execFileSync("pgrep", ["-P", String(pid), "ffmpeg"], { encoding: "utf8" }).trim().split("\n").filter(Boolean).map(Number);
  } catch {
    return [];
  }
};

async function devices(n: number): Promise<{ paths: string[]; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "wachter-bench-mic-"));
  const list = Array.from({ length: n }, (_, i) => {
    const path = join(dir, `mic${i}.s16`);
    execFileSync("mkfifo", [path]);
    const signal = new SignalGenerator(1000, 0.05);
    signal.kind = "noise";
    const d = new FifoDevice(path, () => signal.next(20), 50);
    d.start();
    return { path, d };
  });
  return { paths: list.map((x) => x.path), stop: async () => void (await Promise.all(list.map((x) => x.d.stop()))) };
}

/**
 * CPU per microphone for the whole path (ffmpeg capture with Opus and 16 kHz resampling, and
 * the gateway's FFT analysis ten times a second), next to a bare ffmpeg that only reads the
 * same 48 kHz stream (the floor of getting the sound into a process at all).
 */
export async function audioCpu(microphones: number, seconds: number): Promise<AudioCpuResult> {
  const devs = await devices(microphones);
  const port = await freePort();
  const gateway = new GatewayProcess({
    http: { host: "127.0.0.1", port },
    sources: devs.paths.map((path, i) => ({ id: `mic${i}`, type: "microphone", input: "rawaudio", device: path })),
  }).asDeployed();
  let analysis = 0;
  let capture = 0;
  try {
    await gateway.start();
    const pid = gateway.proc!.child.pid!;
    await new Promise((r) => setTimeout(r, 3000));
    const kids = children(pid);
    const g0 = ticks(pid);
    const c0 = kids.map(ticks);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    analysis = ticks(pid) - g0;
    capture = kids.reduce((sum, k, i) => sum + ticks(k) - c0[i], 0);
  } finally {
    await gateway.stop();
    await devs.stop();
  }
  const base = await devices(microphones);
  const readers = base.paths.map((path) => new Proc("ffmpeg", ["-hide_banner", "-loglevel", "error", "-nostdin", "-f", "s16le", "-ar", "48000", "-ac", "1", "-i", `file:${path}`, "-f", "null", "-"]));
  await new Promise((r) => setTimeout(r, 2000));
  const b0 = readers.map((r) => ticks(r.child.pid!));
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const baseline = readers.reduce((sum, r, i) => sum + ticks(r.child.pid!) - b0[i], 0);
  await Promise.all(readers.map((r) => r.stop()));
  await base.stop();
  const pct = (t: number) => asPercent(t, seconds) / microphones;
  return { microphones, seconds, analysisPerMic: pct(analysis), capturePerMic: pct(capture), baselinePerMic: pct(baseline) };
}
