import { afterEach, describe, expect, it } from "vitest";
import { RTCPeerConnection, type RTCDataChannel } from "werift";

// werift's SCTP association as the gateway loads it (the ES module build), reached through the
// peer connection; the published typings do not expose it.
interface Sctp {
  lastReceivedTsn: number;
  sackMisOrdered: Set<number>;
  markReceived(tsn: number): boolean;
  sendChunk(chunk: { type: number }): Promise<void>;
}
const sctpOf = (pc: RTCPeerConnection) => (pc as unknown as { sctpTransport: { sctp: Sctp } }).sctpTransport.sctp;
const SACK = 3;
const DATA = 0;

let pcs: RTCPeerConnection[] = [];
afterEach(async () => {
  await Promise.all(pcs.map((pc) => pc.close()));
  pcs = [];
});

/** Two werift peers on loopback; the answerer counts the chunks each side sends. */
async function pair(): Promise<{ channel: RTCDataChannel; received: string[]; sent: { offerer: Map<number, number>; answerer: Map<number, number> }; sackTimes: number[]; answerer: RTCPeerConnection }> {
  const offerer = new RTCPeerConnection({ iceServers: [] });
  const answerer = new RTCPeerConnection({ iceServers: [] });
  pcs.push(offerer, answerer);
  const received: string[] = [];
  answerer.onDataChannel.subscribe((dc) => dc.onMessage.subscribe((m) => received.push(String(m))));
  const channel = offerer.createDataChannel("check");
  await offerer.setLocalDescription(await offerer.createOffer());
  await answerer.setRemoteDescription(offerer.localDescription!);
  await answerer.setLocalDescription(await answerer.createAnswer());
  await offerer.setRemoteDescription(answerer.localDescription!);
  await new Promise<void>((resolve) => channel.stateChanged.subscribe((s) => s === "open" && resolve()));
  const sackTimes: number[] = [];
  const sent = { offerer: count(sctpOf(offerer)), answerer: count(sctpOf(answerer), (type) => type === SACK && sackTimes.push(Date.now())) };
  return { channel, received, sent, sackTimes, answerer };
}

function count(sctp: Sctp, each?: (type: number) => void): Map<number, number> {
  const types = new Map<number, number>();
  const send = sctp.sendChunk.bind(sctp);
  sctp.sendChunk = (chunk) => {
    types.set(chunk.type, (types.get(chunk.type) ?? 0) + 1);
    each?.(chunk.type);
    return send(chunk);
  };
  return types;
}

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("werift's SCTP acknowledgements (patch 003)", () => {
  it("acknowledges data in order every second packet, as RFC 9260 section 6.2 asks, and delivers everything in order", async () => {
    const { channel, received, sent } = await pair();
    const messages = Array.from({ length: 200 }, (_, i) => `reading ${i}`);
    // A message every 2 ms: each in a packet of its own, as the gateway's telemetry goes out.
    for (const m of messages) {
      channel.send(m);
      await new Promise((r) => setTimeout(r, 2));
    }
    await until("all messages", () => received.length === messages.length);
    expect(received).toEqual(messages);
    const data = sent.offerer.get(DATA) ?? 0;
    const sacks = sent.answerer.get(SACK) ?? 0;
    expect(data).toBeGreaterThanOrEqual(messages.length);
    // Published werift 0.25.2 acknowledges every packet (sacks ≈ data).
    expect(sacks).toBeGreaterThan(data * 0.4);
    expect(sacks).toBeLessThanOrEqual(Math.ceil(data / 2) + 2);
  });

  it("acknowledges a lone packet after the delay (200 ms), so the sender's queue drains", async () => {
    const { channel, received, sackTimes } = await pair();
    // Let the channel's opening handshake be acknowledged first.
    await new Promise((r) => setTimeout(r, 400));
    const sentAt = Date.now();
    channel.send("alone");
    await until("the message", () => received.length === 1);
    await until("a SACK for it", () => sackTimes.some((t) => t >= sentAt), 1000);
    const delay = sackTimes.find((t) => t >= sentAt)! - sentAt;
    expect(delay).toBeGreaterThanOrEqual(150);
    expect(delay).toBeLessThan(600);
  });

  it("orders TSNs as serial numbers: a gap closed across the 2^32 wrap advances the cumulative TSN", async () => {
    const { answerer } = await pair();
    const sctp = sctpOf(answerer);
    sctp.lastReceivedTsn = 2 ** 32 - 3;
    expect(sctp.markReceived(2 ** 32 - 1)).toBe(false);
    expect(sctp.markReceived(0)).toBe(false);
    expect(sctp.lastReceivedTsn).toBe(2 ** 32 - 3);
    // The missing TSN arrives: everything up to 0 is now received. A string sort ("0" first) stopped here.
    expect(sctp.markReceived(2 ** 32 - 2)).toBe(false);
    expect(sctp.lastReceivedTsn).toBe(0);
    expect(sctp.sackMisOrdered.size).toBe(0);
    expect(sctp.markReceived(0)).toBe(true);
    expect(sctp.markReceived(1)).toBe(false);
    expect(sctp.lastReceivedTsn).toBe(1);
  });
});

describe("werift's SCTP sends (patch 005)", () => {
  it("settles each message once its last chunk is sent, so bufferedAmount falls message by message", async () => {
    const { channel, received } = await pair();
    const message = Buffer.alloc(16 * 1024, 0x5a);
    for (let i = 0; i < 60; i++) channel.send(message);
    const levels = new Set<number>();
    await until("the queue sent", () => {
      levels.add(channel.bufferedAmount);
      return channel.bufferedAmount === 0;
    }, 10_000);
    await until("all messages", () => received.length === 60);
    const between = [...levels].filter((l) => l > 0 && l < 60 * message.length);
    // Published werift 0.25.2 settled every send only once the whole queue was empty: it went from
    // 60 messages to none at once, and a sender pacing on bufferedAmountLow waited for all of it.
    expect(between.length).toBeGreaterThanOrEqual(10);
    expect(between.every((l) => l % message.length === 0)).toBe(true);
  });
});
