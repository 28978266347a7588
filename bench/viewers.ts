/**
 * A separate process holding N werift viewers of the gateway (thermal video + telemetry).
 * Prints "ready" once every viewer decodes RTP, then on "trace" prints the times and sizes of the
 * RTP packets and telemetry messages one viewer received for a few seconds (for the UDP floor),
 * and exits on "stop". With CHURN_MS, the oldest viewer leaves and a new one joins every CHURN_MS
 * milliseconds; leavers alternate between a WHEP DELETE and just closing the peer connection, as
 * a closed browser tab does, and each join prints "join-span START END" (ms, the wall clock of
 * bench/pacing.ts's now()): from the new viewer's offer until it receives video.
 * With --video-only the viewers open no telemetry channel (to split the per-viewer cost); with
 * --data-only they take no video and count as receiving once the telemetry snapshot arrives (to
 * measure joins apart from media).
 * On "join" one more viewer joins and the script says whether it receives video or was refused
 * (see join()); on "received" it prints "received" and the RTP packets each viewer has had so
 * far, as JSON; on "get PATH" it prints "got STATUS" and the body as a JSON string (for a caller
 * outside the viewers' network namespace).
 *   node --import tsx bench/viewers.ts BASE_URL TOKEN COUNT [CHURN_MS] [--video-only | --data-only]
 */
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { RTCPeerConnection } from "werift";
import { now } from "./pacing.js";

const { values: flags, positionals } = parseArgs({ options: { "video-only": { type: "boolean" }, "data-only": { type: "boolean" } }, allowPositionals: true });
/** Packets of video (or, with --data-only, telemetry messages) that make a viewer count as receiving. */
const ENOUGH = flags["data-only"] ? 1 : 20;
const [base, token, countText, churnText] = positionals;
const count = Number(countText);
const received: number[] = new Array(count).fill(0);
const trace: Array<[number, number, "rtp" | "data"]> = [];
let tracing = false;
const pcs: Array<{ pc: RTCPeerConnection; resource: string }> = [];

class WhepRefused extends Error {
  constructor(
    readonly status: number,
    readonly retryAfter: string | null,
    readonly body: string,
  ) {
    super(`WHEP ${status}: ${body}`);
  }
}

async function viewer(i: number): Promise<RTCPeerConnection> {
  const pc = new RTCPeerConnection({ iceServers: [] });
  if (!flags["data-only"]) {
    const transceiver = pc.addTransceiver("video", { direction: "recvonly" });
    transceiver.onTrack.subscribe((track) =>
      track.onReceiveRtp.subscribe((rtp) => {
        received[i]++;
        if (tracing && i === 0) trace.push([performance.now(), rtp.serialize().length, "rtp"]);
      }),
    );
  }
  if (!flags["video-only"]) {
    const telemetry = pc.createDataChannel("telemetry");
    if (flags["data-only"]) telemetry.onMessage.subscribe(() => received[i]++);
    telemetry.onMessage.subscribe((m) => {
      if (tracing && i === 0) trace.push([performance.now(), Buffer.byteLength(m), "data"]);
    });
  }
  const offer = await pc.createOffer();
  // No STUN server exists in the bench namespace; gather host candidates only.
  for (const t of pc.iceTransports) t.connection.stunServer = undefined;
  await pc.setLocalDescription(offer);
  const res = await fetch(`${base}/whep`, { method: "POST", headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/sdp" }, body: pc.localDescription!.sdp });
  if (res.status !== 201) {
    await pc.close();
    throw new WhepRefused(res.status, res.headers.get("Retry-After"), await res.text());
  }
  await pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
  pcs.push({ pc, resource: new URL(res.headers.get("Location")!, base).href });
  return pc;
}

const first = await Promise.all(Array.from({ length: count }, (_, i) => viewer(i)));
// A viewer with no video after 15 s starts over once, as the dashboard does when its connection fails.
const waitForVideo = async (ms: number) => {
  const deadline = Date.now() + ms;
  while (received.some((n) => n < ENOUGH) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return received.flatMap((n, i) => (n < ENOUGH ? [i] : []));
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

/**
 * Whether viewer `i` has video (ENOUGH packets) within `ms`, looking every 10 ms: a join's span
 * ends close to the video's arrival, and the gateway's CPU over a join is not diluted by waiting.
 */
async function videoWithin(i: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (received[i] < ENOUGH && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return received[i] >= ENOUGH;
}

/** One more viewer, started over once if it has no video after 15 s: "joined", "joined without video" or "refused STATUS retry-after=SECONDS BODY". */
async function join(): Promise<string> {
  const i = received.push(0) - 1;
  for (let attempt = 0; attempt < 2; attempt++) {
    let pc: RTCPeerConnection;
    try {
      pc = await viewer(i);
    } catch (err) {
      if (!(err instanceof WhepRefused)) throw err;
      received.pop();
      return `refused ${err.status} retry-after=${err.retryAfter} ${err.body}`;
    }
    if (await videoWithin(i, 15_000)) return "joined";
    pcs.splice(pcs.findIndex((v) => v.pc === pc), 1);
    await pc.close();
  }
  return "joined without video";
}

let joined = 0;
if (churnText) {
  setInterval(async () => {
    const oldest = pcs.shift();
    if (oldest && joined % 2 === 0) await fetch(oldest.resource, { method: "DELETE", headers: { Authorization: `Bearer ${token}` } });
    await oldest?.pc.close();
    const start = now();
    const i = received.push(0) - 1;
    try {
      await viewer(i);
      await videoWithin(i, 15_000);
      process.stdout.write(`join-span ${start} ${now()}\n`);
    } catch (err) {
      process.stderr.write(`join failed: ${(err as Error).message}\n`);
    }
    joined++;
  }, Number(churnText));
}

for await (const line of createInterface({ input: process.stdin })) {
  if (line === "trace") {
    tracing = true;
    await new Promise((r) => setTimeout(r, 5000));
    tracing = false;
    process.stdout.write(`${JSON.stringify(trace)}\n`);
  } else if (line === "join") {
    process.stdout.write(`${await join()}\n`);
  } else if (line === "received") {
    process.stdout.write(`received ${JSON.stringify(received)}\n`);
  } else if (line.startsWith("get ")) {
    const res = await fetch(new URL(line.slice(4), base), { headers: { Authorization: `Bearer ${token}` } });
    process.stdout.write(`got ${res.status} ${JSON.stringify(await res.text())}\n`);
  } else if (line === "count") {
    process.stdout.write(`joined ${joined}\n`);
  } else if (line === "stop") {
    await Promise.all(pcs.map((v) => v.pc.close()));
    process.exit(0);
  }
}
