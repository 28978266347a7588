import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { GatewayProcess, ROOT } from "../test/helpers/gateway.js";
import { freePort } from "../test/helpers/ports.js";
import { ViewerCrowd } from "../test/helpers/viewerCrowd.js";
import { gatewayMetric, rssMb } from "./proc.js";
import { median, slope } from "./stats.js";

/** What the gateway may take with 10 viewers of the demo configuration (issue 16). */
const TARGET_RSS_MB = 250;
const MB = 1024 * 1024;

export interface MemoryRow {
  viewers: number;
  /** Median of the samples taken after the viewers settled. */
  rssMb: number;
  /** V8's old generation in use (garbage since the last full collection included), median. */
  heapMb: number;
  /** Buffers and typed arrays outside the heap (Node's `external`), median. */
  externalMb: number;
}

export interface MemoryRun {
  label: string;
  /** Run with the systemd unit's NODE_OPTIONS. */
  deployed: boolean;
  heapLimitMb: number;
  rows: MemoryRow[];
  /** RSS the first viewer adds: werift's code and its first session's state come with it. */
  firstViewerRssMb: number;
  /** Slopes through the counts from one viewer on. */
  rssPerViewerMb: number;
  heapPerViewerMb: number;
  externalPerViewerMb: number;
  /** Viewers that had to start over for want of video (bench/viewers.ts does it once per viewer). */
  joinedWithoutVideo: number;
}


/** The demo machine (deploy/examples/simulated.yaml) with 0, 1, 5, 10 … werift viewers, memory sampled once per second at each count. */
async function measure(deployed: boolean, counts: number[], settleS: number, samples: number): Promise<MemoryRun> {
  const demo = parse(readFileSync(join(ROOT, "deploy/examples/simulated.yaml"), "utf8")) as Record<string, unknown>;
  const port = await freePort();
  const gateway = new GatewayProcess({ ...demo, http: { host: "0.0.0.0", port }, webrtc: { maxViewers: 100 } });
  if (deployed) gateway.asDeployed();
  const label = gateway.env.NODE_OPTIONS ?? "default heap";
  await gateway.start();
  const base = `http://10.222.0.1:${port}`;
  const crowd = await ViewerCrowd.start(base);
  const pid = gateway.proc!.child.pid!;
  const rows: MemoryRow[] = [];
  let joinedWithoutVideo = 0;
  try {
    let viewers = 0;
    for (const n of counts) {
      for (; viewers < n; viewers++) {
        const answer = await crowd.join();
        if (answer === "joined without video") joinedWithoutVideo++;
        else if (answer !== "joined") throw new Error(`viewer ${viewers + 1}: ${answer}`);
      }
      await new Promise((r) => setTimeout(r, settleS * 1000));
      const taken: Array<[number, number, number]> = [];
      for (let i = 0; i < samples; i++) {
        taken.push([rssMb(pid), (await gatewayMetric(base, "wachter_heap_old_generation_used_bytes")) / MB, (await gatewayMetric(base, "wachter_nodejs_external_memory_bytes")) / MB]);
        await new Promise((r) => setTimeout(r, 1000));
      }
      rows.push({ viewers: n, rssMb: median(taken.map((t) => t[0])), heapMb: median(taken.map((t) => t[1])), externalMb: median(taken.map((t) => t[2])) });
      console.log(`memory, ${label}, ${n} viewers: RSS ${rows.at(-1)!.rssMb.toFixed(0)} MB, old generation ${rows.at(-1)!.heapMb.toFixed(1)} MB, outside the heap ${rows.at(-1)!.externalMb.toFixed(1)} MB`);
    }
    const heapLimitMb = (await gatewayMetric(base, "wachter_heap_old_generation_limit_bytes")) / MB;
    const watched = rows.filter((r) => r.viewers >= 1);
    const perViewer = (field: (r: MemoryRow) => number) => slope(watched.map((r) => [r.viewers, field(r)]));
    const rssAt = (n: number) => rows.find((r) => r.viewers === n)?.rssMb ?? Number.NaN;
    return {
      label,
      deployed,
      heapLimitMb,
      rows,
      firstViewerRssMb: rssAt(1) - rssAt(0),
      rssPerViewerMb: perViewer((r) => r.rssMb),
      heapPerViewerMb: perViewer((r) => r.heapMb),
      externalPerViewerMb: perViewer((r) => r.externalMb),
      joinedWithoutVideo,
    };
  } finally {
    await crowd.stop();
    await gateway.stop();
  }
}

/** Node's default heap, then the heap a 1 GB Pi is given (deploy/wachter.service's NODE_OPTIONS). */
export async function memory(counts: number[], settleS: number, samples: number): Promise<MemoryRun[]> {
  return [await measure(false, counts, settleS, samples), await measure(true, counts, settleS, samples)];
}

export function memorySection(runs: MemoryRun[]): string {
  const counts = runs[0].rows.map((r) => r.viewers);
  const cell = (run: MemoryRun, n: number, field: (r: MemoryRow) => number, digits = 0) => field(run.rows.find((r) => r.viewers === n)!).toFixed(digits);
  const line = (run: MemoryRun, what: string, field: (r: MemoryRow) => number, perViewer: number, digits = 0) =>
    `| ${run.label} | ${what} | ${counts.map((n) => cell(run, n, field, digits)).join(" | ")} | **${perViewer.toFixed(2)}** |`;
  const small = runs.find((r) => r.deployed) ?? runs[0];
  const atMost = Math.max(...counts);
  const last = small.rows.find((r) => r.viewers === atMost)!;
  const idle = small.rows.find((r) => r.viewers === counts[0])!;
  const heapRoom = 0.8 * small.heapLimitMb - last.heapMb;
  const worst = runs.map((r) => r.rows.find((x) => x.viewers === atMost)!.rssMb);
  const retried = runs.reduce((a, r) => a + r.joinedWithoutVideo, 0);
  return `## Memory per viewer

The gateway with the demo configuration (deploy/examples/simulated.yaml: the simulated machine,
its thermal camera and microphone, the demo rules), werift viewers of the thermal video and the
telemetry channel joining one at a time (in a separate process); at each count, after the viewers
settled, the median of one sample a second: resident memory (VmRSS), V8's old generation in use
(where a heap OOM happens) and buffers outside the heap. The baseline is the same gateway with no
viewer. Per further viewer: the slope of a least-squares line through the counts from one viewer on.
Node ${process.version} on ${process.arch}.

| node | memory (MB) | ${counts.map((n) => `${n} viewer${n === 1 ? "" : "s"}`).join(" | ")} | per further viewer |
|---|---|${counts.map(() => "---:|").join("")}---:|
${runs.flatMap((r) => [line(r, "RSS", (x) => x.rssMb, r.rssPerViewerMb), line(r, "old generation", (x) => x.heapMb, r.heapPerViewerMb, 1), line(r, "outside the heap", (x) => x.externalMb, r.externalPerViewerMb, 1)]).join("\n")}

With ${atMost} viewers the gateway's RSS is ${runs.map((r, i) => `${worst[i].toFixed(0)} MB (${r.label})`).join(" and ")}: ${Math.max(...worst) < TARGET_RSS_MB ? "under" : "**over**"} the target of ${TARGET_RSS_MB} MB.
The first viewer adds ${runs.map((r) => `${r.firstViewerRssMb.toFixed(0)} MB`).join(" and ")} of RSS (in that order): it starts the thermal video, which runs only
while someone watches (frames colourised at 640 × 480 and piped to the shared encoder; ffmpeg's own memory is not counted here), and werift's first session;
each further viewer about ${runs.map((r) => `${r.rssPerViewerMb.toFixed(1)} MB`).join(" and ")}, ${small.heapPerViewerMb < small.rssPerViewerMb / 2 ? "most of it outside" : "much of it in"} the JavaScript heap
(the old generation grows ${small.heapPerViewerMb.toFixed(2)} MB per viewer; garbage between collections scatters it by a few MB).
With \`${small.label}\` (the systemd unit's) the old generation is ${last.heapMb.toFixed(0)} of ${small.heapLimitMb.toFixed(0)} MB with ${atMost} viewers and ${idle.heapMb.toFixed(0)} MB with none;
the memory guard's 80 % leaves ${heapRoom.toFixed(0)} MB, which viewers alone would fill only${small.heapPerViewerMb > 0.05 ? ` after some ${Math.floor(heapRoom / small.heapPerViewerMb)} more` : " never"}:
on a Pi the RSS budget (\`webrtc.maxRssMb\`) is the limit that trips first, and the heap share guards against
whatever else fills the heap.${retried ? ` ${retried} viewer(s) had no video within 15 s and started over once.` : ""}`;
}
