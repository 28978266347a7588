/**
 * The `spectrum` data channel (docs/protocol.md): one binary message per spectrogram column,
 * ten per second per microphone, little-endian. Unordered, newest wins. Imports nothing.
 *
 *   0 u8 version = 1 | 1 u8 kind = 2 (spectrum column) | 2 u8 mic id length L | 3 u8 reserved
 *   4 f64 ts (ms) | 12 f32 top frequency (Hz) | 16 u16 bin count B | 18 mic id (ASCII), padded to even
 *   then B u8 bins, linear in frequency from 0 Hz: 0 = −120 dBFS … 255 = 0 dBFS
 */
export const SPECTRUM_LABEL = "spectrum";

export interface SpectrumMsg {
  mic: string;
  ts: number;
  maxHz: number;
  bins: Uint8Array;
}

export function encodeSpectrum(m: SpectrumMsg): Uint8Array {
  const id = new TextEncoder().encode(m.mic);
  const idLen = id.length + (id.length % 2);
  const bytes = new Uint8Array(18 + idLen + m.bins.length);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, 1);
  view.setUint8(1, 2);
  view.setUint8(2, id.length);
  view.setFloat64(4, m.ts, true);
  view.setFloat32(12, m.maxHz, true);
  view.setUint16(16, m.bins.length, true);
  bytes.set(id, 18);
  bytes.set(m.bins, 18 + idLen);
  return bytes;
}

export function decodeSpectrum(buffer: ArrayBuffer): SpectrumMsg | undefined {
  if (buffer.byteLength < 18) return undefined;
  const view = new DataView(buffer);
  if (view.getUint8(0) !== 1 || view.getUint8(1) !== 2) return undefined;
  const idLength = view.getUint8(2);
  const count = view.getUint16(16, true);
  const base = 18 + idLength + (idLength % 2);
  if (buffer.byteLength !== base + count) return undefined;
  return {
    mic: new TextDecoder().decode(new Uint8Array(buffer, 18, idLength)),
    ts: view.getFloat64(4, true),
    maxHz: view.getFloat32(12, true),
    bins: new Uint8Array(buffer, base, count),
  };
}
