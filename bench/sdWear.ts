import { readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { parse } from "yaml";
import { GatewayProcess, ROOT } from "../test/helpers/gateway.js";
import { freePort } from "../test/helpers/ports.js";

/** What the SD card may take per day at the demo configuration (issue 16). */
const TARGET_MB_PER_DAY = 100;
const DAY_S = 86_400;

export interface WearRun {
  label: string;
  seconds: number;
  /** Bytes the gateway process caused to be written to the block device (/proc/PID/io write_bytes). */
  writtenMb: number;
  perDayMb: number;
  samplesPerSecond: number;
  bytesPerSample: number;
}

const writeBytes = (pid: number) => Number(/^write_bytes: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, "utf8"))![1]);

function storedSamples(dataDir: string): number {
  const db = new Database(join(dataDir, "wachter.db"), { readonly: true });
  try {
    return (db.prepare("SELECT count(*) AS n FROM samples").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** The demo machine (deploy/examples/simulated.yaml) with `history` changed, its data directory on this machine's disk. */
async function measure(label: string, history: object, warmupS: number, seconds: number): Promise<WearRun> {
  const demo = parse(readFileSync(join(ROOT, "deploy/examples/simulated.yaml"), "utf8")) as Record<string, unknown>;
  const gateway = new GatewayProcess({ ...demo, history, http: { host: "127.0.0.1", port: await freePort() } });
  await gateway.start();
  try {
    const pid = gateway.proc!.child.pid!;
    await new Promise((r) => setTimeout(r, warmupS * 1000));
    const [bytes0, samples0, t0] = [writeBytes(pid), storedSamples(gateway.dataDir), performance.now()];
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const [bytes1, samples1, t1] = [writeBytes(pid), storedSamples(gateway.dataDir), performance.now()];
    const wall = (t1 - t0) / 1000;
    const written = bytes1 - bytes0;
    return {
      label,
      seconds: wall,
      writtenMb: written / 1e6,
      perDayMb: (written / wall) * (DAY_S / 1e6),
      samplesPerSecond: (samples1 - samples0) / wall,
      bytesPerSample: written / Math.max(1, samples1 - samples0),
    };
  } finally {
    await gateway.stop();
  }
}

/** Today's defaults, and a flush every 30 s for comparison (how much is per-commit page cost), in one run. */
export async function sdWear(warmupS: number, seconds: number): Promise<WearRun[]> {
  const runs = [await measure("defaults (flush every 5 s)", {}, warmupS, seconds), await measure("flush every 30 s", { flushInterval: "30s" }, warmupS, seconds)];
  for (const r of runs) console.log(`SD wear, ${r.label}: ${r.writtenMb.toFixed(1)} MB in ${r.seconds.toFixed(0)} s → ${r.perDayMb.toFixed(0)} MB/day, ${r.samplesPerSecond.toFixed(1)} samples/s stored, ${r.bytesPerSample.toFixed(0)} bytes written per sample`);
  return runs;
}

export function sdWearSection(runs: WearRun[]): string {
  const [base] = runs;
  const row = (r: WearRun) => `| ${r.label} | ${r.writtenMb.toFixed(1)} MB in ${r.seconds.toFixed(0)} s | **${r.perDayMb.toFixed(0)} MB** | ${r.samplesPerSecond.toFixed(1)} | ${r.bytesPerSample.toFixed(0)} B | ${(r.perDayMb / TARGET_MB_PER_DAY).toFixed(1)}× |`;
  return `## SD-card wear

Bytes the gateway process made the kernel write to the block device (\`write_bytes\` of
\`/proc/PID/io\`: SQLite's WAL, its checkpoints into the database, the session file), measured on
this machine's disk after a warm-up, at the demo configuration (the simulated machine, its camera
and microphone, raw samples at most one per second per channel), and scaled to a day.

| history | written | per day | samples stored / s | bytes per stored sample | × target (${TARGET_MB_PER_DAY} MB/day) |
|---|---|---|---|---|---|
${runs.map(row).join("\n")}

A stored sample is ${Math.round(base.bytesPerSample)} bytes written, against about 20 bytes of data: each batch
rewrites whole 4 KiB pages — the end of the table, a page of the (channel, time) index per channel
and the per-minute aggregate row of every channel — once in the WAL and again at checkpoint.
Target missed: ${(base.perDayMb / TARGET_MB_PER_DAY).toFixed(1)}× the ${TARGET_MB_PER_DAY} MB a day.`;
}
