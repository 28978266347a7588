import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { expect, it } from "vitest";
import { ruleSchema } from "../../gateway/alerts/schema.js";
import { ContentStore, importFiles } from "../../gateway/incidents/contentStore.js";
import { buildRecord, telemetryCsv, type IncidentInputs } from "../../gateway/incidents/record.js";
import { encodeThermal } from "../../gateway/protocol/thermal.js";

const T = Date.UTC(2026, 11, 1, 3, 12, 0);
const [W, H] = [160, 120];

/** A record at the defaults' size: 20 channels × 15 minutes at 1 s, 61 frames of a 160×120 camera, 20 s of sound. */
function typical(): IncidentInputs {
  let seed = 1;
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const frames = Array.from({ length: 61 }, (_, i) => {
    const celsius = new Float32Array(W * H).map(() => 20 + random() * 60);
    return { ts: T - 30_000 + i * 1000, seq: i, bytes: encodeThermal({ camera: "cam", width: W, height: H, seq: i, ts: T - 30_000 + i * 1000, min: 20, max: 80, mean: 50, hotX: 0, hotY: 0, celsius }) };
  });
  const packet = (i: number) => {
    const p = new Uint8Array(12 + 80).map(() => random() * 256);
    p.set([0x80, 111], 0);
    new DataView(p.buffer).setUint32(4, i * 960);
    new DataView(p.buffer).setUint32(8, 1);
    p[12] = 0x78;
    return p;
  };
  const channels = Array.from({ length: 20 }, (_, c) => {
    const points = Array.from({ length: 900 }, (_, i) => ({ t: T - 600_000 + i * 1000, mean: 50 + random(), min: 49 + random(), max: 51 + random() }));
    return { info: { id: `ch${c}`, name: `Channel ${c}`, unit: "°C", source: "board", staleAfterMs: 5000 }, points: points.length, csv: telemetryCsv(points) };
  });
  return {
    gateway: { name: "Mill 3", version: "0.1.0" },
    alert: { id: "hot~ch0", rule: "hot", channel: "ch0", name: "hot", severity: "critical", description: "", value: 81, unit: "°C", labels: {}, firingSince: T },
    rule: ruleSchema.parse({ id: "hot", channels: ["ch0"], when: { above: 80 } }),
    firingAt: T,
    events: [],
    telemetry: { window: { from: T - 600_000, to: T + 300_000 }, step: 1000, channels },
    cameras: { window: { from: T - 30_000, to: T + 30_000 }, interval: 1000, list: [{ info: { id: "cam", name: "Spindle", source: "board", width: W, height: H, rois: [], staleAfterMs: 2000 }, frames }] },
    microphones: {
      window: { from: T - 10_000, to: T + 10_000 },
      list: [{ info: { id: "mic", name: "Mic", source: "board", staleAfterMs: 5000 }, packets: Array.from({ length: 1000 }, (_, i) => ({ at: T - 10_000 + i * 20, packet: packet(i) })), spectrum: Array.from({ length: 200 }, (_, i) => ({ ts: T - 10_000 + i * 100, maxHz: 8000, bins: new Uint8Array(128).fill(i) })) }],
    },
    maxBytes: 8 * 1024 * 1024,
  };
}

it("assembles and stores a typical record (camera, microphone, 20 channels) without holding up the event loop", async () => {
  await buildRecord(typical()); // warm up the code paths once, as a running gateway has
  const inputs = typical();
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  const ticking = setInterval(() => {}, 5);
  const rss = process.memoryUsage().rss;
  const t0 = performance.now();
  const { files } = await buildRecord(inputs);
  const t1 = performance.now();
  const { root, blocks } = await importFiles(files);
  const t2 = performance.now();
  const content = new ContentStore(mkdtempSync(join(tmpdir(), "wachter-blocks-")));
  await content.open();
  await content.put(blocks, async () => {});
  const t3 = performance.now();
  clearInterval(ticking);
  lag.disable();
  const bytes = files.reduce((n, f) => n + f.content.length, 0);
  const maxLagMs = lag.max / 1e6;
  console.log(
    `typical record: ${files.length} files, ${(bytes / 1e6).toFixed(2)} MB, ${blocks.length} blocks; build ${Math.round(t1 - t0)} ms, import ${Math.round(t2 - t1)} ms, ` +
      `blockstore ${Math.round(t3 - t2)} ms; event loop delay max ${maxLagMs.toFixed(0)} ms; RSS +${((process.memoryUsage().rss - rss) / 1e6).toFixed(0)} MB`,
  );
  expect(root.toString()).toMatch(/^bafybei/);
  expect(bytes).toBeLessThanOrEqual(inputs.maxBytes);
  expect(files.filter((f) => f.path.startsWith("frames/"))).toHaveLength(61);
  // The synchronous steps are the record's build and one 1 MiB chunk's hash at a time.
  expect(maxLagMs).toBeLessThan(250);
  await content.close();
}, 60_000);
