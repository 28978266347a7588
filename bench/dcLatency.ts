import type { Browser } from "playwright-core";
import { answerPage, newPeer, type Stack } from "./dcThroughput.js";
import { matchLatencies, type Matched } from "./stats.js";
import { drive, sampleValue } from "./pacing.js";

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
    const dc = await answerPage(page, pc, stack, offer);
    const sent = await drive(seconds, rateHz, (seq) => {
      const now = Date.now();
      const r: Array<[string, number, number]> = [["bench.c0", now, seq]];
      for (let i = 1; i < channels; i++) r.push([`bench.c${i}`, now, sampleValue(i, seq)]);
      dc.send(JSON.stringify({ v: 1, t: "readings", now, r }));
    });
    const arrivals = await page.evaluate(() => (window as unknown as { arrivals: Array<[number, number]> }).arrivals);
    return matchLatencies(sent, arrivals);
  } finally {
    await pc.close();
    await page.close();
  }
}
