import { RTCPeerConnection as NdcPeerConnection } from "node-datachannel/polyfill";
import type { Browser, Page } from "playwright-core";
import { RTCPeerConnection as WeriftPeerConnection } from "werift";
import { median } from "./stats.js";

export type Stack = "werift" | "node-datachannel";

export interface DcResult {
  stack: Stack;
  toBrowserMbps: number;
  fromBrowserMbps: number;
  /** This process's CPU time (all its threads) per MiB moved, while it sends and while it receives. */
  toBrowserCpuMsPerMiB: number;
  fromBrowserCpuMsPerMiB: number;
}

/** Medians over the rounds, and each round's figures. */
export interface DcSummary extends DcResult {
  runs: DcResult[];
}

const MESSAGE = 16 * 1024;
const HIGH = 1024 * 1024;
const LOW = 256 * 1024;

/** The W3C-shaped subset both stacks offer. */
interface Channel {
  readyState: string;
  bufferedAmount: number;
  bufferedAmountLowThreshold: number;
  send(data: string | Buffer): void;
  addEventListener(type: "bufferedamountlow", listener: () => void): void;
  onmessage: ((e: { data: unknown }) => void) | null;
  onopen: (() => void) | null;
}

export interface Peer {
  setRemoteDescription(d: { type: "offer"; sdp: string }): Promise<void>;
  createAnswer(): Promise<{ type: "answer"; sdp: string }>;
  setLocalDescription(d: { type: "answer"; sdp: string }): Promise<void>;
  localDescription: { sdp: string } | null;
  ondatachannel: ((e: { channel: Channel }) => void) | null;
  close(): void | Promise<void>;
}

export async function newPeer(stack: Stack): Promise<Peer> {
  if (stack === "werift") {
    const pc = new WeriftPeerConnection({ iceServers: [] });
    const original = pc.setRemoteDescription.bind(pc);
    // As in the gateway: no STUN server exists here.
    (pc as unknown as Peer).setRemoteDescription = async (d) => {
      await original(d);
      for (const t of pc.iceTransports) t.connection.stunServer = undefined;
    };
    return pc as unknown as Peer;
  }
  return new NdcPeerConnection({ iceServers: [] }) as unknown as Peer;
}

async function waitGathered(pc: Peer, stack: Stack): Promise<string> {
  if (stack === "node-datachannel") {
    const p = pc as unknown as { iceGatheringState: string; onicegatheringstatechange: (() => void) | null };
    if (p.iceGatheringState !== "complete") await new Promise<void>((r) => (p.onicegatheringstatechange = () => p.iceGatheringState === "complete" && r()));
  }
  return pc.localDescription!.sdp;
}

function sendAll(dc: Channel, total: number): Promise<void> {
  const chunk = Buffer.alloc(MESSAGE, 0x5a);
  let sent = 0;
  dc.bufferedAmountLowThreshold = LOW;
  return new Promise((resolve) => {
    const pump = () => {
      while (sent < total && dc.bufferedAmount < HIGH) {
        dc.send(chunk);
        sent += MESSAGE;
      }
      if (sent >= total) resolve();
    };
    dc.addEventListener("bufferedamountlow", pump);
    pump();
  });
}

/**
 * Answers the page's offer (its `window.pc`, with the channel it created as `window.dc`) from
 * `pc` and resolves with this side's end of the channel once both ends are open.
 */
export async function answerPage(page: Page, pc: Peer, stack: Stack, offer: string): Promise<Channel> {
    const channel = new Promise<Channel>((resolve) => (pc.ondatachannel = (e) => resolve(e.channel)));
    await pc.setRemoteDescription({ type: "offer", sdp: offer });
    await pc.setLocalDescription(await pc.createAnswer());
    const answer = await waitGathered(pc, stack);
    await page.evaluate(async (sdp) => {
      const w = window as unknown as { pc: RTCPeerConnection; dc: RTCDataChannel };
      await w.pc.setRemoteDescription({ type: "answer", sdp });
      if (w.dc.readyState !== "open") await new Promise((r) => (w.dc.onopen = r));
    }, answer);
    const dc = await channel;
    if (dc.readyState !== "open") await new Promise<void>((r) => (dc.onopen = () => r()));
    return dc;
}

/** Bytes each way between one stack (answering, in this process) and headless Chromium. */
export async function dcThroughput(browser: Browser, stack: Stack, megabytes: number): Promise<DcResult> {
  const total = megabytes * 1024 * 1024;
  const page = await browser.newPage();
  const pc = await newPeer(stack);
  try {
    const offer = await page.evaluate(async () => {
      const pc = new RTCPeerConnection();
      const dc = pc.createDataChannel("bench");
      dc.binaryType = "arraybuffer";
      const w = window as unknown as { pc: RTCPeerConnection; dc: RTCDataChannel; received: number; first: number; last: number };
      Object.assign(w, { pc, dc, received: 0, first: 0, last: 0 });
      dc.onmessage = (e) => {
        const t = performance.now();
        if (w.received === 0) w.first = t;
        w.received += (e.data as ArrayBuffer).byteLength;
        w.last = t;
      };
      await pc.setLocalDescription(await pc.createOffer());
      await new Promise((r) => setTimeout(r, 500));
      return pc.localDescription!.sdp;
    });
    const dc = await answerPage(page, pc, stack, offer);
    const cpuPerMiB = (since: NodeJS.CpuUsage) => {
      const used = process.cpuUsage(since);
      return (used.user + used.system) / 1000 / megabytes;
    };

    const sendingFrom = process.cpuUsage();
    await sendAll(dc, total);
    await page.waitForFunction((t) => (window as unknown as { received: number }).received >= t, total, { timeout: 120_000 });
    const toBrowser = await page.evaluate(() => {
      const w = window as unknown as { received: number; first: number; last: number };
      return (w.received * 8) / ((w.last - w.first) / 1000) / 1e6;
    });
    const toBrowserCpuMsPerMiB = cpuPerMiB(sendingFrom);

    let received = 0;
    let first = 0;
    let last = 0;
    const done = new Promise<void>((resolve) => {
      dc.onmessage = (e) => {
        const t = performance.now();
        if (received === 0) first = t;
        const d = e.data as ArrayBuffer | Buffer;
        received += d.byteLength;
        last = t;
        if (received >= total) resolve();
      };
    });
    const receivingFrom = process.cpuUsage();
    // Given as source text: the TypeScript loader would add helpers the page does not have.
    await page.evaluate(`(async () => {
      const dc = window.dc;
      const chunk = new Uint8Array(${MESSAGE}).fill(0x5a);
      let sent = 0;
      dc.bufferedAmountLowThreshold = ${LOW};
      await new Promise((resolve) => {
        const pump = () => {
          while (sent < ${total} && dc.bufferedAmount < ${HIGH}) {
            dc.send(chunk);
            sent += ${MESSAGE};
          }
          if (sent >= ${total}) resolve();
        };
        dc.onbufferedamountlow = pump;
        pump();
      });
    })()`);
    await done;
    const fromBrowser = (received * 8) / ((last - first) / 1000) / 1e6;
    return { stack, toBrowserMbps: toBrowser, fromBrowserMbps: fromBrowser, toBrowserCpuMsPerMiB, fromBrowserCpuMsPerMiB: cpuPerMiB(receivingFrom) };
  } finally {
    await pc.close();
    await page.close();
  }
}


/** The stacks take turns for `rounds` rounds: one transfer is at the mercy of the machine's load. */
export async function dcThroughputRounds(browser: Browser, megabytes: number, rounds: number): Promise<DcSummary[]> {
  const stacks: Stack[] = ["werift", "node-datachannel"];
  const runs = new Map<Stack, DcResult[]>(stacks.map((s) => [s, []]));
  for (let i = 0; i < rounds; i++) for (const stack of stacks) runs.get(stack)!.push(await dcThroughput(browser, stack, megabytes));
  return stacks.map((stack) => {
    const r = runs.get(stack)!;
    const of = (pick: (x: DcResult) => number) => median(r.map(pick));
    return {
      stack,
      toBrowserMbps: of((x) => x.toBrowserMbps),
      fromBrowserMbps: of((x) => x.fromBrowserMbps),
      toBrowserCpuMsPerMiB: of((x) => x.toBrowserCpuMsPerMiB),
      fromBrowserCpuMsPerMiB: of((x) => x.fromBrowserCpuMsPerMiB),
      runs: r,
    };
  });
}

export function datachannelSection(dc: DcSummary[]): string {
  const [w, n] = dc;
  const runs = (d: DcSummary, pick: (x: DcResult) => number) => d.runs.map((x) => pick(x).toFixed(0)).join(", ");
  return `## Data-channel throughput: werift against node-datachannel

Each stack answers headless Chromium's offer in this process and exchanges the same 16 KiB messages
with the same backpressure (pause above 1 MiB queued, resume below 256 KiB), one direction at a
time. node-datachannel is libdatachannel (C++), the native baseline. The stacks take turns for
${w.runs.length} rounds; the table shows medians, each round's figures in brackets. CPU is this
process's per MiB moved, all its threads counted (node-datachannel's network thread, V8's garbage
collector threads, and the bench's own few calls to the page too).

| stack | to the browser, Mbit/s | from the browser, Mbit/s | CPU ms per MiB sent | CPU ms per MiB received |
|---|---:|---:|---:|---:|
${dc.map((d) => `| ${d.stack} | ${d.toBrowserMbps.toFixed(0)} (${runs(d, (x) => x.toBrowserMbps)}) | ${d.fromBrowserMbps.toFixed(0)} (${runs(d, (x) => x.fromBrowserMbps)}) | ${d.toBrowserCpuMsPerMiB.toFixed(0)} (${runs(d, (x) => x.toBrowserCpuMsPerMiB)}) | ${d.fromBrowserCpuMsPerMiB.toFixed(0)} (${runs(d, (x) => x.fromBrowserCpuMsPerMiB)}) |`).join("\n")}

Ratio werift / node-datachannel: **${(w.toBrowserMbps / n.toBrowserMbps).toFixed(2)}** to the browser, **${(w.fromBrowserMbps / n.fromBrowserMbps).toFixed(2)}** from it
(target ≥ 0.9). A 160×120 radiometric frame is 38 KB, so even 10 Mbit/s carries 30 frames/s.`;
}
