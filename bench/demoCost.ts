import { readdirSync, readFileSync } from "node:fs";
import { ADMIN_PASSWORD, GatewayProcess } from "../test/helpers/gateway.js";
import { launchChromium, signIn } from "../test/helpers/browser.js";
import { freePort, waitFor } from "../test/helpers/ports.js";
import { asPercent, cpuTicks } from "./proc.js";

export interface ProcessCost {
  /** What the process is: the gateway, or which ffmpeg. */
  part: string;
  cpuPct: number;
}

export interface DemoCostResult {
  seconds: number;
  /** The built-in demo with nobody watching: the gateway and its microphone's ffmpeg. */
  idle: ProcessCost[];
  /** The same with one operator's dashboard open in Chromium (whose own cost is not counted), as it opens: temperatures, sound muted. */
  oneViewer: ProcessCost[];
  /** The same dashboard in the window right after: open for as long again, as it stays on a tablet all shift. */
  oneViewerSettled: ProcessCost[];
  /** The same dashboard in the camera's video view, listening to the microphone. */
  watching: ProcessCost[];
}

function children(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${name}/stat`, "utf8").split(") ")[1].split(" ")[1]);
      if (ppid === pid) out.push(Number(name), ...children(Number(name)));
    } catch {
      // The process ended while the table was read.
    }
  }
  return out;
}

function partOf(pid: number, gateway: number): string {
  if (pid === gateway) return "gateway (Node)";
  const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  if (argv.includes("libvpx") || argv.includes("libx264")) return "ffmpeg: thermal video encoder";
  if (argv.includes("libopus")) return "ffmpeg: microphone (Opus + analysis PCM)";
  return argv[0].split("/").at(-1) ?? "?";
}

/** CPU of the gateway's whole process tree over `seconds`, per process. */
async function treeCpu(gateway: number, seconds: number): Promise<ProcessCost[]> {
  const pids = [gateway, ...children(gateway)];
  const before = new Map(pids.map((p) => [p, cpuTicks(p)]));
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const parts = new Map<string, number>();
  for (const pid of pids) {
    let after: number;
    try {
      after = cpuTicks(pid);
    } catch {
      continue;
    }
    const part = partOf(pid, gateway);
    parts.set(part, (parts.get(part) ?? 0) + asPercent(after - before.get(pid)!, seconds));
  }
  return [...parts].map(([part, cpuPct]) => ({ part, cpuPct }));
}

/** The README's first command (the built-in simulated machine) with nobody watching, then with one dashboard open. */
export async function demoCost(seconds: number): Promise<DemoCostResult> {
  const port = await freePort();
  const gateway = new GatewayProcess(null, undefined, ["--port", String(port)]).asDeployed();
  await gateway.start();
  const pid = gateway.proc!.child.pid!;
  const browser = await launchChromium();
  try {
    await new Promise((r) => setTimeout(r, 3000));
    const idle = await treeCpu(pid, seconds);
    const page = await browser.newPage();
    await signIn(page, ADMIN_PASSWORD, `http://127.0.0.1:${port}/`);
    await page.waitForSelector('.thermal[data-seq]:not([data-seq="0"])', { timeout: 20_000 });
    await new Promise((r) => setTimeout(r, 3000));
    const oneViewer = await treeCpu(pid, seconds);
    const oneViewerSettled = await treeCpu(pid, seconds);
    await page.click('.thermal button[data-mode="video"]');
    await page.click(".mic button");
    await waitFor("the encoder", () => children(pid).some((p) => partOf(p, pid).includes("encoder")) || undefined, 20_000);
    await new Promise((r) => setTimeout(r, 3000));
    const watching = await treeCpu(pid, seconds);
    return { seconds, idle, oneViewer, oneViewerSettled, watching };
  } finally {
    await browser.close();
    await gateway.stop();
  }
}

const total = (parts: ProcessCost[]) => parts.reduce((a, p) => a + p.cpuPct, 0);

export function demoCostSection(r: DemoCostResult): string {
  const parts = [...new Set([...r.watching, ...r.oneViewer, ...r.oneViewerSettled, ...r.idle].map((p) => p.part))];
  const verdict = (list: ProcessCost[]) => (total(list) <= 5 ? "met" : "missed");
  const of = (list: ProcessCost[], part: string) => list.find((p) => p.part === part)?.cpuPct.toFixed(1) ?? "–";
  return `## The demo with one viewer: the whole process tree

The README's first command (the built-in simulated machine: five temperatures at 5 Hz, the 32×24
thermal camera at 8 frames/s, the microphone) for ${r.seconds} s with nobody watching, then for ${r.seconds} s with one
operator's dashboard open in headless Chromium (the browser's own cost is not counted: it is the
operator's tablet) as it opens (the camera's temperatures, drawn from its radiometric frames, and the
sound muted: the page asks the gateway for no video and no sound from its join on, so no encoder
runs), for the next ${r.seconds} s with the same dashboard settled (as it stays open on a tablet all shift:
the opening's one-off work, V8 compiling the WebRTC code paths and the page's first requests, is
over), then for ${r.seconds} s in the camera's video view and listening to the microphone. CPU of the
gateway and of each ffmpeg it runs, from \`/proc\`, % of one core.

| process | nobody watching | one dashboard, as it opens | one dashboard, settled | one dashboard, video view and listening |
|---|---:|---:|---:|---:|
${parts.map((part) => `| ${part} | ${of(r.idle, part)} | ${of(r.oneViewer, part)} | ${of(r.oneViewerSettled, part)} | ${of(r.watching, part)} |`).join("\n")}
| **whole tree** | **${total(r.idle).toFixed(1)}** | **${total(r.oneViewer).toFixed(1)}** | **${total(r.oneViewerSettled).toFixed(1)}** | **${total(r.watching).toFixed(1)}** |

Target: at most 5 % of one core with one viewer: as the dashboard opens, ${verdict(r.oneViewer)}; settled, ${verdict(r.oneViewerSettled)}.`;
}

export function printDemoCost(r: DemoCostResult): void {
  console.log(`\ndemo, ${r.seconds} s each, % of one core: nobody watching ${total(r.idle).toFixed(1)}, one dashboard as it opens ${total(r.oneViewer).toFixed(1)}, settled ${total(r.oneViewerSettled).toFixed(1)}, video view and listening ${total(r.watching).toFixed(1)}`);
  for (const p of r.oneViewerSettled) console.log(`  ${p.part.padEnd(44)} ${p.cpuPct.toFixed(1).padStart(5)}`);
}
