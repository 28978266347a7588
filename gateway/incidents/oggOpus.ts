/**
 * Ogg/Opus (RFC 7845) from the Opus RTP packets (RFC 7587) a microphone's capture sends: the
 * packets are copied, not re-encoded, so the clip is what viewers heard. Deterministic: the same
 * packets give the same bytes (fixed stream serial, no time stamps).
 */

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let j = 0; j < 8; j++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

/** Ogg's CRC-32: polynomial 0x04c11db7, not reflected, initial value and final XOR 0. */
export function oggCrc(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ b) & 0xff]) >>> 0;
  return crc;
}

export interface RtpOpus {
  ssrc: number;
  seq: number;
  /** 48 kHz clock. */
  timestamp: number;
  payload: Uint8Array;
}

/** The Opus packet in an RTP packet, or undefined for anything that is not one. */
export function parseRtp(packet: Uint8Array): RtpOpus | undefined {
  if (packet.length < 12 || packet[0] >> 6 !== 2) return undefined;
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  let offset = 12 + 4 * (packet[0] & 0x0f);
  if (packet[0] & 0x10) {
    if (packet.length < offset + 4) return undefined;
    offset += 4 + 4 * view.getUint16(offset + 2);
  }
  let end = packet.length;
  if (packet[0] & 0x20) end -= packet[packet.length - 1];
  if (end <= offset) return undefined;
  return { ssrc: view.getUint32(8), seq: view.getUint16(2), timestamp: view.getUint32(4), payload: packet.subarray(offset, end) };
}

/** Samples at 48 kHz in an Opus packet, from its TOC byte (RFC 6716 §3.1). */
export function opusSamples(packet: Uint8Array): number {
  if (packet.length === 0) return 0;
  const config = packet[0] >> 3;
  const frameSamples = config < 12 ? [480, 960, 1920, 2880][config & 3] : config < 16 ? [480, 960][config & 1] : [120, 240, 480, 960][config & 3];
  const code = packet[0] & 3;
  const frames = code === 0 ? 1 : code < 3 ? 2 : packet.length > 1 ? packet[1] & 0x3f : 0;
  return frameSamples * frames;
}

/** Decoders start 80 ms into a stream cut from the middle, as RFC 7845 §4.6 advises. */
const PRE_SKIP = 3840;
const SERIAL = 0x77616368;
const MAX_SEGMENTS = 255;

function page(headerType: number, granule: bigint, seq: number, packets: Uint8Array[]): Uint8Array {
  const lacing: number[] = [];
  for (const p of packets) {
    for (let n = p.length; ; n -= 255) {
      lacing.push(Math.min(n, 255));
      if (n < 255) break;
    }
  }
  const bodyLength = packets.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(27 + lacing.length + bodyLength);
  const view = new DataView(out.buffer);
  out.set([0x4f, 0x67, 0x67, 0x53], 0);
  out[5] = headerType;
  view.setBigInt64(6, granule, true);
  view.setUint32(14, SERIAL, true);
  view.setUint32(18, seq, true);
  out[26] = lacing.length;
  out.set(lacing, 27);
  let offset = 27 + lacing.length;
  for (const p of packets) {
    out.set(p, offset);
    offset += p.length;
  }
  view.setUint32(22, oggCrc(out), true);
  return out;
}

function segmentsOf(p: Uint8Array): number {
  return Math.floor(p.length / 255) + 1;
}

/**
 * One Ogg/Opus stream of the packets of one RTP stream, in order (a restarted capture is a new
 * SSRC: only the packets of the one with most of them are kept). Undefined without packets.
 */
export function oggOpus(rtpPackets: Uint8Array[], vendor = "wachter"): Uint8Array | undefined {
  const parsed = rtpPackets.map(parseRtp).filter((p): p is RtpOpus => p !== undefined && p.payload.length > 0);
  const counts = new Map<number, number>();
  for (const p of parsed) counts.set(p.ssrc, (counts.get(p.ssrc) ?? 0) + 1);
  const ssrc = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
  const stream = parsed.filter((p) => p.ssrc === ssrc);
  if (stream.length === 0) return undefined;
  const head = new Uint8Array(19);
  const hv = new DataView(head.buffer);
  head.set(new TextEncoder().encode("OpusHead"), 0);
  head[8] = 1;
  head[9] = 1;
  hv.setUint16(10, PRE_SKIP, true);
  hv.setUint32(12, 48_000, true);
  const vendorBytes = new TextEncoder().encode(vendor);
  const tags = new Uint8Array(8 + 4 + vendorBytes.length + 4);
  const tv = new DataView(tags.buffer);
  tags.set(new TextEncoder().encode("OpusTags"), 0);
  tv.setUint32(8, vendorBytes.length, true);
  tags.set(vendorBytes, 12);
  const pages = [page(0x02, 0n, 0, [head]), page(0, 0n, 1, [tags])];
  const first = stream[0].timestamp;
  let batch: Uint8Array[] = [];
  let segments = 0;
  let granule = 0n;
  stream.forEach((p, i) => {
    if (segments + segmentsOf(p.payload) > MAX_SEGMENTS) {
      pages.push(page(0, granule, pages.length, batch));
      batch = [];
      segments = 0;
    }
    batch.push(p.payload);
    segments += segmentsOf(p.payload);
    // RTP time keeps gaps (lost packets, DTX) in place; uint32 arithmetic survives its wrap.
    granule = BigInt(((p.timestamp - first) >>> 0) + opusSamples(p.payload));
    if (i === stream.length - 1) pages.push(page(0x04, granule, pages.length, batch));
  });
  const out = new Uint8Array(pages.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of pages) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
