import { describe, expect, it } from "vitest";
import { MemoryGuard, oldGenerationLimit, type MemoryReading } from "../../gateway/webrtc/memoryGuard.js";

const MB = 1024 * 1024;

describe("the old generation's limit", () => {
  const heapSizeLimit = 320 * MB; // Node 24 with --max-old-space-size=128: 128 MB plus the young generation's 192

  it("is --max-old-space-size, from node's command line or NODE_OPTIONS, the later one winning", () => {
    expect(oldGenerationLimit(["--max-old-space-size=128"], undefined, heapSizeLimit)).toBe(128 * MB);
    expect(oldGenerationLimit([], "--enable-source-maps --max_old_space_size=200", heapSizeLimit)).toBe(200 * MB);
    expect(oldGenerationLimit(["--max-old-space-size=128"], "--max-old-space-size=96", heapSizeLimit)).toBe(96 * MB);
  });

  it("is V8's whole heap limit without the flag, and never more than it", () => {
    expect(oldGenerationLimit([], undefined, heapSizeLimit)).toBe(heapSizeLimit);
    expect(oldGenerationLimit(["--max-old-space-size-percentage=50"], "", heapSizeLimit)).toBe(heapSizeLimit);
    expect(oldGenerationLimit(["--max-old-space-size=100000"], undefined, heapSizeLimit)).toBe(heapSizeLimit);
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
