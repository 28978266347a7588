import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/gateway.js";

describe("benchmarks", () => {
  it("run end to end in smoke mode, so the benchmark code cannot rot (no timing is judged)", () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "bench/run.ts"), "--smoke"], { cwd: ROOT, encoding: "utf8", timeout: 170_000 });
    expect(run.stderr.replace(/npm warn.*\n/g, "")).not.toMatch(/Error/);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/serial → gateway, unbatched\s+50\s+0/);
    expect(run.stdout).toMatch(/serial → gateway, batched\s+50\s+0/);
    expect(run.stdout).toMatch(/CPU per extra viewer: gateway -?\d/);
    expect(run.stdout).toMatch(/Sparkplug B ingest, 1000 DDATA × 10 metrics: wachter \d+\/s/);
    expect(run.stdout).toMatch(/backtest 24 h raw \(1 Hz\): 86\d{3} samples, [1-9]\d* firings/);
  }, 180_000);
});
