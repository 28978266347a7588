import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { heapSizingProblem, MemoryGuard, oldGenerationLimit, type MemoryReading } from "../../gateway/webrtc/memoryGuard.js";

const MB = 1024 * 1024;

describe("V8's heap sizing", () => {
  it("is a problem while the young generation's reserve is more than half the old generation's limit", () => {
    // Node 24: --max-old-space-size=128 gives heap_size_limit 320 MB (three 64 MB semi-spaces beside it).
    expect(heapSizingProblem(128 * MB, 320 * MB)).toBe(
      "V8's young generation may grow to 192 MB beside an old generation limited to 128 MB: under load V8 may then collect the old generation back to back, using most of a core. Add --max-semi-space-size=8 to NODE_OPTIONS, as deploy/wachter.service does",
    );
    expect(heapSizingProblem(256 * MB, 448 * MB)).toMatch(/^V8's young generation may grow to 192 MB beside an old generation limited to 256 MB/);
  });

  it("is none with the semi-space capped, on Node 20's smaller young generation, or without an old-generation limit", () => {
    expect(heapSizingProblem(128 * MB, 152 * MB)).toBeUndefined(); // --max-semi-space-size=8
    expect(heapSizingProblem(128 * MB, 176 * MB)).toBeUndefined(); // Node 20: 16 MB semi-spaces
    expect(heapSizingProblem(4288 * MB, 4288 * MB)).toBeUndefined(); // no flag: the limit is the whole heap's
  });
});

describe("the old generation's limit", () => {
  const heapSizeLimit = 320 * MB; // Node 24 with --max-old-space-size=128: 128 MB plus the young generation's 192

  it("is --max-old-space-size, from node's command line or NODE_OPTIONS, the later one winning", () => {
    expect(oldGenerationLimit(["--max-old-space-size=128"], undefined, heapSizeLimit)).toBe(128 * MB);
    expect(oldGenerationLimit([], "--enable-source-maps --max_old_space_size=200", heapSizeLimit)).toBe(200 * MB);
    expect(oldGenerationLimit(["--max-old-space-size=128"], "--max-old-space-size=96", heapSizeLimit)).toBe(96 * MB);
  });

  it("is V8's whole heap limit without the flag, and never more than it", () => {
    expect(oldGenerationLimit([], undefined, heapSizeLimit)).toBe(heapSizeLimit);
    expect(oldGenerationLimit(["--max-old-space-size=100000"], undefined, heapSizeLimit)).toBe(heapSizeLimit);
  });

  it("is --max-old-space-size-percentage of the memory available, winning over --max-old-space-size, as Node 24 reckons it", () => {
    const pi = 1024 * MB; // a 1 GB Raspberry Pi
    expect(oldGenerationLimit(["--max-old-space-size-percentage=12.5"], undefined, heapSizeLimit, pi)).toBe(128 * MB);
    expect(oldGenerationLimit(["--max-old-space-size-percentage=10"], "--max-old-space-size=200", heapSizeLimit, pi)).toBe(102 * MB);
    expect(oldGenerationLimit([], "--max-old-space-size-percentage=50", heapSizeLimit, pi)).toBe(heapSizeLimit);
  });

  // The flag exists from Node 24 on; CI runs this file on Node 24 and on Node 20.
  it.runIf(Number(process.versions.node.split(".")[0]) >= 24)("gives the old generation Node 24 itself sets for --max-old-space-size-percentage", () => {
    const heapLimit = (flag: string) => {
      const probe = spawnSync(process.execPath, [flag, "-p", "require('v8').getHeapStatistics().heap_size_limit"], { encoding: "utf8" });
      expect(probe.status, probe.stderr).toBe(0);
      return Number(probe.stdout);
    };
    const withPercentage = heapLimit("--max-old-space-size-percentage=5");
    const ours = oldGenerationLimit(["--max-old-space-size-percentage=5"], undefined, withPercentage);
    expect(ours).toBeLessThan(withPercentage);
    expect(heapLimit(`--max-old-space-size=${ours / MB}`)).toBe(withPercentage);
  });
});

describe("the memory guard", () => {
  const guard = (reading: MemoryReading, maxRssMb?: number) => new MemoryGuard({ maxHeapPercent: 80, maxRssMb }, () => reading);

  it("lets viewers join while the heap is under its share and the RSS under its budget", () => {
    const g = guard({ heapUsed: 100 * MB, heapLimit: 128 * MB, rss: 199 * MB }, 200);
    expect(g.refusal()).toBeUndefined();
    expect(g.status()).toMatchObject({ heapPercent: 78.1, short: null, maxRssMb: 200 });
    expect(g.refusals).toBe(0);
  });

  it("refuses above the heap share, saying how full the heap is, and counts each refusal", () => {
    const g = guard({ heapUsed: 103 * MB, heapLimit: 128 * MB, rss: 150 * MB });
    expect(g.refusal()).toBe("memory is short: the JavaScript heap is 103 of 128 MB (80.5 %, limit 80 %)");
    g.refusal();
    expect(g.refusals).toBe(2);
    expect(g.status().short).toMatch(/^memory is short/);
  });

  it("refuses above the RSS budget only when one is configured", () => {
    expect(guard({ heapUsed: 10 * MB, heapLimit: 128 * MB, rss: 201 * MB }, 200).refusal()).toBe("memory is short: the gateway uses 201 MB (webrtc.maxRssMb is 200 MB)");
    expect(guard({ heapUsed: 10 * MB, heapLimit: 128 * MB, rss: 5000 * MB }).refusal()).toBeUndefined();
  });
});
