/**
 * Re-colouring the gateway's thermal video in the browser. The gateway encodes one colourised
 * picture for every viewer; each pixel's colour is read back as its position on the gateway's
 * palette, which is a temperature over the gateway's range, and drawn again with this viewer's
 * palette and range.
 */

const BITS = 5;
const LEVELS = 1 << BITS;

/** The key of an RGB colour in an inverse table: 5 bits per channel. */
export const colourKey = (r: number, g: number, b: number): number => ((r >> 3) << (2 * BITS)) | ((g >> 3) << BITS) | (b >> 3);

/**
 * For every colour (5 bits per channel), the nearest of the palette's 256 entries. Nearest rather
 * than exact: the video's colours come back through YUV 4:2:0 and lossy compression.
 */
export function inverseLut(lut: Uint8Array): Uint8Array {
  const inverse = new Uint8Array(LEVELS ** 3);
  const step = 256 / LEVELS;
  for (let r = 0; r < LEVELS; r++) {
    for (let g = 0; g < LEVELS; g++) {
      for (let b = 0; b < LEVELS; b++) {
        const cr = r * step + step / 2;
        const cg = g * step + step / 2;
        const cb = b * step + step / 2;
        let best = 0;
        let bestDistance = Infinity;
        for (let i = 0; i < 256; i++) {
          const dr = lut[i * 3] - cr;
          const dg = lut[i * 3 + 1] - cg;
          const db = lut[i * 3 + 2] - cb;
          const d = dr * dr + dg * dg + db * db;
          if (d < bestDistance) {
            bestDistance = d;
            best = i;
          }
        }
        inverse[(r << (2 * BITS)) | (g << BITS) | b] = best;
      }
    }
  }
  return inverse;
}

/** For each palette index of a picture coloured over [fromLo, fromHi] °C, its index over [toLo, toHi]. */
export function remapIndices(fromLo: number, fromHi: number, toLo: number, toHi: number): Uint8Array {
  const map = new Uint8Array(256);
  const span = Math.max(1e-6, toHi - toLo);
  for (let i = 0; i < 256; i++) {
    const celsius = fromLo + (i / 255) * (fromHi - fromLo);
    map[i] = Math.max(0, Math.min(255, Math.round(((celsius - toLo) / span) * 255)));
  }
  return map;
}

/** Re-colours RGBA pixels in place: colour → gateway's index → this viewer's index → this viewer's colour. */
export function recolour(rgba: Uint8ClampedArray, inverse: Uint8Array, remap: Uint8Array, lut: Uint8Array): void {
  for (let o = 0; o < rgba.length; o += 4) {
    const k = remap[inverse[colourKey(rgba[o], rgba[o + 1], rgba[o + 2])]] * 3;
    rgba[o] = lut[k];
    rgba[o + 1] = lut[k + 1];
    rgba[o + 2] = lut[k + 2];
  }
}

/** A radiometric frame and the range the gateway coloured it with. */
export interface ColouredFrame {
  celsius: Float32Array;
  width: number;
  height: number;
  lo: number;
  hi: number;
}

/**
 * Which of the recent frames a video picture shows: the one whose colours, as the gateway would
 * have made them, are nearest to the picture's at a grid of the camera's pixels. The video runs
 * behind the radiometric frames by an unknown, varying delay, and the gateway's automatic range
 * moves meanwhile, so the range to read a picture back with is the range of the frame it shows.
 * `indexAt(x, y)` is the picture's palette index at the centre of camera pixel (x, y).
 */
export function matchFrame(frames: readonly ColouredFrame[], indexAt: (x: number, y: number) => number, step = 4): number {
  if (frames.length < 2) return frames.length - 1;
  const { width, height } = frames[frames.length - 1];
  const points: Array<[number, number, number]> = [];
  for (let y = step >> 1; y < height; y += step) for (let x = step >> 1; x < width; x += step) points.push([x, y, indexAt(x, y)]);
  let best = frames.length - 1;
  let bestError = Infinity;
  for (let k = frames.length - 1; k >= 0; k--) {
    const f = frames[k];
    if (f.width !== width || f.height !== height) continue;
    const scale = 255 / Math.max(1e-6, f.hi - f.lo);
    let error = 0;
    for (const [x, y, observed] of points) error += Math.abs(Math.max(0, Math.min(255, (f.celsius[y * width + x] - f.lo) * scale)) - observed);
    if (error < bestError) {
      bestError = error;
      best = k;
    }
  }
  return best;
}
