/**
 * A separate process holding N werift viewers of the gateway (thermal video + telemetry).
 * Prints "ready" once every viewer decodes RTP, then on "trace" prints the RTP sizes and times
 * one viewer saw for a few seconds (for the UDP floor), and exits on "stop". With CHURN_MS, the
 * oldest viewer leaves and a new one joins every CHURN_MS milliseconds; leavers alternate between
 * a WHEP DELETE and just closing the peer connection, as a closed browser tab does.
 * With --video-only the viewers open no telemetry channel (to split the per-viewer cost).
 *   node --import tsx bench/viewers.ts BASE_URL TOKEN COUNT [CHURN_MS] [--video-only]
 */
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { RTCPeerConnection } from "werift";

const { values: flags, positionals } = parseArgs({ options: { "video-only": { type: "boolean" } }, allowPositionals: true });
const [base, token, countText, churnText] = positionals;
const count = Number(countText);
const received: number[] = new Array(count).fill(0);
const trace: Array<[number, number]> = [];
let tracing = false;
const pcs: Array<{ pc: RTCPeerConnection; resource: string }> = [];

async function viewer(i: number): Promise<RTCPeerConnection> {
  const pc = new RTCPeerConnection({ iceServers: [] });
  const transceiver = pc.addTransceiver("video", { direction: "recvonly" });
  transceiver.onTrack.subscribe((track) =>
    track.onReceiveRtp.subscribe((rtp) => {
      received[i]++;
      if (tracing && i === 0) trace.push([performance.now(), rtp.serialize().length]);
    }),
  );
  if (!flags["video-only"]) pc.createDataChannel("telemetry");
  const offer = await pc.createOffer();
  // No STUN server exists in the bench namespace; gather host candidates only.
  for (const t of pc.iceTransports) t.connection.stunServer = undefined;
  await pc.setLocalDescription(offer);
  const res = await fetch(`${base}/whep`, { method: "POST", headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/sdp" }, body: pc.localDescription!.sdp });
  if (res.status !== 201) throw new Error(`WHEP ${res.status}: ${await res.text()}`);
  await pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
  pcs.push({ pc, resource: new URL(res.headers.get("Location")!, base).href });
  return pc;
}

const first = await Promise.all(Array.from({ length: count }, (_, i) => viewer(i)));
// A viewer with no video after 15 s starts over once, as the dashboard does when its connection fails.
const waitForVideo = async (ms: number) => {
  const deadline = Date.now() + ms;
  while (received.some((n) => n < 20) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return received.flatMap((n, i) => (n < 20 ? [i] : []));
};
const late = await waitForVideo(15_000);
if (late.length) {
  process.stderr.write(`viewers starting over for want of video: ${late.length}\n`);
  for (const i of late) {
    pcs.splice(pcs.findIndex((v) => v.pc === first[i]), 1);
    await first[i].close();
    await viewer(i);
  }
  const still = await waitForVideo(30_000);
  if (still.length) throw new Error(`viewers without video: ${still.length}`);
}
process.stdout.write("ready\n");

let joined = 0;
if (churnText) {
  setInterval(async () => {
    const oldest = pcs.shift();
    if (oldest && joined % 2 === 0) await fetch(oldest.resource, { method: "DELETE", headers: { Authorization: `Bearer ${token}` } });
    await oldest?.pc.close();
    await viewer(0).catch((err: Error) => process.stderr.write(`join failed: ${err.message}\n`));
    joined++;
  }, Number(churnText));
}

for await (const line of createInterface({ input: process.stdin })) {
  if (line === "trace") {
    tracing = true;
    await new Promise((r) => setTimeout(r, 5000));
    tracing = false;
    process.stdout.write(`${JSON.stringify(trace)}\n`);
  } else if (line === "count") {
    process.stdout.write(`joined ${joined}\n`);
  } else if (line === "stop") {
    await Promise.all(pcs.map((v) => v.pc.close()));
    process.exit(0);
  }
}
