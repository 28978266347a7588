import type { Browser } from "playwright-core";
import { newPeer, waitGathered, type Channel, type Stack } from "./dcThroughput.js";
import { matchLatencies, type Matched } from "./stats.js";
import { drive } from "./pacing.js";

/**
 * The WebRTC part of the telemetry path on its own: a bare data channel from `stack` (in this
 * process, no tty, no gateway) to a Chromium page, carrying messages shaped like the gateway's
 * `readings` batches (`channels` readings, the first one the sequence number) at `rateHz`.
 */
export async function dcLatency(browser: Browser, stack: Stack, seconds: number, channels: number, rateHz: number): Promise<Matched> {
  const page = await browser.newPage();
  const pc = await newPeer(stack);
  try {
    const offer = await page.evaluate(async () => {
      const pc = new RTCPeerConnection();
      const dc = pc.createDataChannel("telemetry");
      const w = window as unknown as { pc: RTCPeerConnection; dc: RTCDataChannel; arrivals: Array<[number, number]> };
      Object.assign(w, { pc, dc, arrivals: [] });
      dc.onmessage = (e) => {
        const t = performance.timeOrigin + performance.now();
        const msg = JSON.parse(e.data as string);
        if (msg.t === "readings") for (const [ch, , v] of msg.r) if (ch === "bench.c0") w.arrivals.push([v, t]);
      };
      await pc.setLocalDescription(await pc.createOffer());
      await new Promise((r) => setTimeout(r, 300));
      return pc.localDescription!.sdp;
    });
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
    const sent = await drive(seconds, rateHz, (seq) => {
      const now = Date.now();
      const r: Array<[string, number, number]> = [["bench.c0", now, seq]];
      for (let i = 1; i < channels; i++) r.push([`bench.c${i}`, now, Number((20 + i + Math.sin(seq / 10)).toFixed(2))]);
      dc.send(JSON.stringify({ v: 1, t: "readings", now, r }));
    });
    const arrivals = await page.evaluate(() => (window as unknown as { arrivals: Array<[number, number]> }).arrivals);
    return matchLatencies(sent, arrivals);
  } finally {
    await pc.close();
    await page.close();
  }
}
