/**
 * The `thermal` data channel (docs/protocol.md): one binary message per radiometric frame,
 * little-endian. Shared by the gateway (encode) and the dashboard (decode); imports nothing.
 *
 *   0 u8 version = 1 | 1 u8 kind = 1 (frame) | 2 u16 width | 4 u16 height | 6 u16 hotX | 8 u16 hotY
 *  10 u8 camera id length | 11 u8 reserved | 12 u32 seq | 16 f64 ts (ms) | 24 f32 scale | 28 f32 offset
 *  32 f32 min | 36 f32 max | 40 f32 mean | 44 camera id (ASCII), padded to an even length
 *  then width×height u16 pixels: °C = raw × scale + offset
 */
export const THERMAL_LABEL = "thermal";
const HEADER = 44;
const KELVIN = 273.15;

export interface WireFrame {
  camera: string;
  width: number;
  height: number;
  seq: number;
  ts: number;
  min: number;
  max: number;
  mean: number;
  hotX: number;
  hotY: number;
  celsius: Float32Array;
}

export function encodeThermal(f: WireFrame): Uint8Array {
  const id = new TextEncoder().encode(f.camera);
  const idLen = id.length + (id.length % 2);
  const bytes = new Uint8Array(HEADER + idLen + f.width * f.height * 2);
  const view = new DataView(bytes.buffer);
  // 0.01 K resolution covers up to 382 °C in 16 bits; hotter scenes use a coarser step.
  const scale = 0.01 * Math.max(1, Math.ceil((f.max + KELVIN) / 655.35));
  const offset = -KELVIN;
  view.setUint8(0, 1);
  view.setUint8(1, 1);
  view.setUint16(2, f.width, true);
  view.setUint16(4, f.height, true);
  view.setUint16(6, f.hotX, true);
  view.setUint16(8, f.hotY, true);
  view.setUint8(10, id.length);
  view.setUint32(12, f.seq >>> 0, true);
  view.setFloat64(16, f.ts, true);
  view.setFloat32(24, scale, true);
  view.setFloat32(28, offset, true);
  view.setFloat32(32, f.min, true);
  view.setFloat32(36, f.max, true);
  view.setFloat32(40, f.mean, true);
  bytes.set(id, HEADER);
  const base = HEADER + idLen;
  for (let i = 0; i < f.celsius.length; i++) {
    view.setUint16(base + i * 2, Math.max(0, Math.min(65535, Math.round((f.celsius[i] - offset) / scale))), true);
  }
  return bytes;
}

export function decodeThermal(buffer: ArrayBuffer): WireFrame | undefined {
  if (buffer.byteLength < HEADER) return undefined;
  const view = new DataView(buffer);
  if (view.getUint8(0) !== 1 || view.getUint8(1) !== 1) return undefined;
  const width = view.getUint16(2, true);
  const height = view.getUint16(4, true);
  const idLength = view.getUint8(10);
  const base = HEADER + idLength + (idLength % 2);
  if (buffer.byteLength !== base + width * height * 2) return undefined;
  const scale = view.getFloat32(24, true);
  const offset = view.getFloat32(28, true);
  const celsius = new Float32Array(width * height);
  for (let i = 0; i < celsius.length; i++) celsius[i] = view.getUint16(base + i * 2, true) * scale + offset;
  return {
    camera: new TextDecoder().decode(new Uint8Array(buffer, HEADER, idLength)),
    width,
    height,
    hotX: view.getUint16(6, true),
    hotY: view.getUint16(8, true),
    seq: view.getUint32(12, true),
    ts: view.getFloat64(16, true),
    min: view.getFloat32(32, true),
    max: view.getFloat32(36, true),
    mean: view.getFloat32(40, true),
    celsius,
  };
}

export const PALETTES = ["ironbow", "grey", "rainbow"] as const;
export type Palette = (typeof PALETTES)[number];

/** Colour stops per palette, from cold to hot. */
const STOPS: Record<Palette, Array<[number, number, number, number]>> = {
  ironbow: [
    [0, 0, 0, 10],
    [0.15, 32, 0, 96],
    [0.35, 128, 0, 140],
    [0.55, 210, 40, 60],
    [0.72, 245, 120, 0],
    [0.88, 255, 200, 30],
    [1, 255, 255, 230],
  ],
  grey: [
    [0, 0, 0, 0],
    [1, 255, 255, 255],
  ],
  rainbow: [
    [0, 20, 0, 120],
    [0.25, 0, 120, 255],
    [0.5, 0, 200, 80],
    [0.75, 255, 220, 0],
    [1, 255, 30, 0],
  ],
};

/** 256 RGB entries. */
export function paletteLut(palette: Palette): Uint8Array {
  const stops = STOPS[palette];
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = i / 255;
    let k = 0;
    while (k < stops.length - 2 && t > stops[k + 1][0]) k++;
    const [t0, r0, g0, b0] = stops[k];
    const [t1, r1, g1, b1] = stops[k + 1];
    const u = t1 === t0 ? 0 : (t - t0) / (t1 - t0);
    lut[i * 3] = Math.round(r0 + (r1 - r0) * u);
    lut[i * 3 + 1] = Math.round(g0 + (g1 - g0) * u);
    lut[i * 3 + 2] = Math.round(b0 + (b1 - b0) * u);
  }
  return lut;
}

/** Maps temperatures to colours; `out` has 3 (RGB) or 4 (RGBA) bytes per pixel. */
export function colourise(celsius: Float32Array, lo: number, hi: number, lut: Uint8Array, out: Uint8Array | Uint8ClampedArray, channels: 3 | 4): void {
  const span = Math.max(1e-6, hi - lo);
  for (let i = 0; i < celsius.length; i++) {
    const idx = Math.max(0, Math.min(255, Math.round(((celsius[i] - lo) / span) * 255))) * 3;
    const o = i * channels;
    out[o] = lut[idx];
    out[o + 1] = lut[idx + 1];
    out[o + 2] = lut[idx + 2];
    if (channels === 4) out[o + 3] = 255;
  }
}

/** An automatic colour range spans at least this many °C, so a uniform scene is not noise stretched over the palette. */
export const MIN_AUTO_SPAN = 2;
/** How fast the video's automatic range follows the scene: fast, but without flicker. */
export const VIDEO_RANGE_TAU_MS = 600;

/** A colour range as it was at frame time `ts` (ms). */
export interface ColourRange {
  lo: number;
  hi: number;
  ts: number;
}

/** One frame's own range: its min and max, at least MIN_AUTO_SPAN apart. */
export function frameRange(min: number, max: number, ts: number): ColourRange {
  return { lo: min, hi: Math.max(max, min + MIN_AUTO_SPAN), ts };
}

/**
 * A range that follows the frames' own ranges exponentially with time constant `tauMs` (by frame
 * time, so the result does not depend on the frame rate). A frame older than the last starts anew.
 */
export function followRange(prev: ColourRange | undefined, min: number, max: number, ts: number, tauMs: number): ColourRange {
  const target = frameRange(min, max, ts);
  if (!prev || ts < prev.ts) return target;
  const a = 1 - Math.exp(-Math.min(ts - prev.ts, 20 * tauMs) / tauMs);
  return { lo: prev.lo + a * (target.lo - prev.lo), hi: prev.hi + a * (target.hi - prev.hi), ts };
}
