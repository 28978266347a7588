import { PNG } from "pngjs";
import { colourise, frameRange, paletteLut, type WireFrame } from "../protocol/thermal.js";

/**
 * Pictures in a record for whoever opens its files without the dashboard: the thermal frame at the
 * moment an alert fired, and a microphone's spectrogram. Deterministic (the same frame gives the
 * same bytes, so the record keeps its CID), and honest: each sensor pixel a square of whole pixels,
 * never smoothed.
 */

const IRONBOW = paletteLut("ironbow");
const WHITE = [255, 255, 255] as const;

/** 5 × 7 glyphs for the scale's labels ("-12.5°C"). */
const GLYPHS: Record<string, string[]> = {
  "0": ["01110", "10001", "10011", "10101", "11001", "10001", "01110"],
  "1": ["00100", "01100", "00100", "00100", "00100", "00100", "01110"],
  "2": ["01110", "10001", "00001", "00010", "00100", "01000", "11111"],
  "3": ["11110", "00001", "00001", "01110", "00001", "00001", "11110"],
  "4": ["00010", "00110", "01010", "10010", "11111", "00010", "00010"],
  "5": ["11111", "10000", "11110", "00001", "00001", "10001", "01110"],
  "6": ["00110", "01000", "10000", "11110", "10001", "10001", "01110"],
  "7": ["11111", "00001", "00010", "00100", "01000", "01000", "01000"],
  "8": ["01110", "10001", "10001", "01110", "10001", "10001", "01110"],
  "9": ["01110", "10001", "10001", "01111", "00001", "00010", "01100"],
  ".": ["00000", "00000", "00000", "00000", "00000", "01100", "01100"],
  "-": ["00000", "00000", "00000", "11111", "00000", "00000", "00000"],
  "°": ["01100", "10010", "10010", "01100", "00000", "00000", "00000"],
  C: ["01110", "10001", "10000", "10000", "10000", "10001", "01110"],
};
const TEXT_SCALE = 2;
const GLYPH_W = (5 + 1) * TEXT_SCALE;

class Canvas {
  readonly png: PNG;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.png = new PNG({ width, height, colorType: 2, inputHasAlpha: true });
    for (let i = 3; i < this.png.data.length; i += 4) this.png.data[i] = 255;
  }

  set(x: number, y: number, [r, g, b]: readonly number[]): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const o = (y * this.width + x) * 4;
    this.png.data[o] = r;
    this.png.data[o + 1] = g;
    this.png.data[o + 2] = b;
  }

  fill(x: number, y: number, w: number, h: number, rgb: readonly number[]): void {
    for (let j = y; j < y + h; j++) for (let i = x; i < x + w; i++) this.set(i, j, rgb);
  }

  text(x: number, y: number, s: string): void {
    [...s].forEach((c, k) => {
      GLYPHS[c]?.forEach((row, j) => {
        for (let i = 0; i < 5; i++) if (row[i] === "1") this.fill(x + k * GLYPH_W + i * TEXT_SCALE, y + j * TEXT_SCALE, TEXT_SCALE, TEXT_SCALE, WHITE);
      });
    });
  }

  encode(): Uint8Array {
    return PNG.sync.write(this.png, { colorType: 2, deflateLevel: 9, filterType: 1 });
  }
}

export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The colour range a still is drawn with: the frame's own, as the live view's automatic range. */
export const stillRange = (f: WireFrame) => {
  const { lo, hi } = frameRange(f.min, f.max, f.ts);
  return { lo, hi };
};

/**
 * A frame in the ironbow palette over its own range, at least 320 pixels wide, with its regions
 * outlined, its hottest pixel marked, and beside it the scale: the palette, hottest at the top,
 * with the range's temperatures in °C.
 */
export function thermalStill(f: WireFrame, regions: Region[]): Uint8Array {
  const zoom = Math.max(1, Math.ceil(320 / f.width));
  const [w, h] = [f.width * zoom, f.height * zoom];
  const { lo, hi } = stillRange(f);
  const label = (c: number) => `${c.toFixed(1)}°C`;
  const labelWidth = Math.max(label(lo).length, label(hi).length) * GLYPH_W;
  const canvas = new Canvas(w + 8 + 16 + 6 + labelWidth + 4, Math.max(h, 7 * TEXT_SCALE * 3));
  const rgb = new Uint8Array(f.width * f.height * 3);
  colourise(f.celsius, lo, hi, IRONBOW, rgb, 3);
  const out = canvas.png.data;
  for (let py = 0; py < h; py++) {
    const row = Math.floor(py / zoom) * f.width;
    for (let px = 0, o = py * canvas.width * 4; px < w; px++, o += 4) {
      const k = (row + Math.floor(px / zoom)) * 3;
      out[o] = rgb[k];
      out[o + 1] = rgb[k + 1];
      out[o + 2] = rgb[k + 2];
    }
  }
  for (const r of regions) {
    const [x0, y0, x1, y1] = [r.x * zoom, r.y * zoom, Math.min(f.width, r.x + r.width) * zoom - 1, Math.min(f.height, r.y + r.height) * zoom - 1];
    canvas.fill(x0, y0, x1 - x0 + 1, 1, WHITE);
    canvas.fill(x0, y1, x1 - x0 + 1, 1, WHITE);
    canvas.fill(x0, y0, 1, y1 - y0 + 1, WHITE);
    canvas.fill(x1, y0, 1, y1 - y0 + 1, WHITE);
  }
  const [hx, hy] = [Math.floor((f.hotX + 0.5) * zoom), Math.floor((f.hotY + 0.5) * zoom)];
  canvas.fill(hx - 10, hy, 21, 1, WHITE);
  canvas.fill(hx, hy - 10, 1, 21, WHITE);
  const barX = w + 8;
  for (let y = 0; y < h; y++) {
    const k = Math.round((1 - y / Math.max(1, h - 1)) * 255) * 3;
    canvas.fill(barX, y, 16, 1, [IRONBOW[k], IRONBOW[k + 1], IRONBOW[k + 2]]);
  }
  canvas.text(barX + 22, 0, label(hi));
  canvas.text(barX + 22, canvas.height - 7 * TEXT_SCALE, label(lo));
  return canvas.encode();
}

/**
 * Spectrum columns (bins from 0 Hz at the bottom, 0 = −120 dBFS … 255 = 0 dBFS) as a picture, one
 * pixel a column and a bin, in the ironbow palette, with a white column where the alert fired.
 */
export function spectrogramImage(columns: Array<{ ts: number; bins: ArrayLike<number> }>, firingAt: number): Uint8Array {
  const height = Math.max(1, ...columns.map((c) => c.bins.length));
  const canvas = new Canvas(columns.length, height);
  columns.forEach((c, x) => {
    for (let bin = 0; bin < c.bins.length; bin++) {
      const k = c.bins[bin] * 3;
      canvas.set(x, height - 1 - bin, [IRONBOW[k], IRONBOW[k + 1], IRONBOW[k + 2]]);
    }
  });
  const moment = columns.reduce((best, c, i) => (Math.abs(c.ts - firingAt) < Math.abs(columns[best].ts - firingAt) ? i : best), 0);
  canvas.fill(moment, 0, 1, height, WHITE);
  return canvas.encode();
}
