import { colourise, type WireFrame } from "../../gateway/protocol/thermal.js";
import type { CameraMsg } from "../../gateway/protocol/telemetry.js";

type Roi = CameraMsg["rois"][number];

/** A radiometric frame in `lut`'s colours over [lo, hi], one pixel of `ctx`'s canvas per sensor pixel. */
export function paintPixels(ctx: CanvasRenderingContext2D, f: WireFrame, range: { lo: number; hi: number }, lut: Uint8Array): void {
  const img = ctx.createImageData(f.width, f.height);
  colourise(f.celsius, range.lo, range.hi, lut, img.data, 4);
  ctx.putImageData(img, 0, 0);
}

/** A radiometric frame in `lut`'s colours over [lo, hi], smoothed up to the size of `ctx`'s canvas (`offscreen` holds it at its own size). */
export function paintFrame(ctx: CanvasRenderingContext2D, offscreen: HTMLCanvasElement, f: WireFrame, range: { lo: number; hi: number }, lut: Uint8Array): void {
  if (offscreen.width !== f.width || offscreen.height !== f.height) {
    offscreen.width = f.width;
    offscreen.height = f.height;
  }
  paintPixels(offscreen.getContext("2d")!, f, range, lut);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(offscreen, 0, 0, ctx.canvas.width, ctx.canvas.height);
}

/** Over the picture: each region with its hottest temperature, and the frame's hottest spot. */
export function drawOverlays(ctx: CanvasRenderingContext2D, f: WireFrame, rois: readonly Roi[], temperature: (celsius: number) => string): void {
  const sx = ctx.canvas.width / f.width;
  const sy = ctx.canvas.height / f.height;
  ctx.font = "600 22px system-ui, sans-serif";
  ctx.lineWidth = 2;
  for (const roi of rois) {
    ctx.strokeStyle = "#ffffffcc";
    ctx.setLineDash([8, 6]);
    ctx.strokeRect(roi.x * sx, roi.y * sy, roi.width * sx, roi.height * sy);
    ctx.setLineDash([]);
    label(ctx, `${roi.name} ${temperature(roiStats(f, roi).max)}`, roi.x * sx + 4, Math.max(24, roi.y * sy - 6));
  }
  const hx = (f.hotX + 0.5) * sx;
  const hy = (f.hotY + 0.5) * sy;
  ctx.strokeStyle = "#fff";
  ctx.beginPath();
  ctx.arc(hx, hy, 12, 0, Math.PI * 2);
  ctx.moveTo(hx - 20, hy);
  ctx.lineTo(hx + 20, hy);
  ctx.moveTo(hx, hy - 20);
  ctx.lineTo(hx, hy + 20);
  ctx.stroke();
  label(ctx, temperature(f.max), hx + 16, hy - 16);
}

function label(ctx: CanvasRenderingContext2D, text: string, x: number, y: number): void {
  ctx.fillStyle = "#000a";
  const m = ctx.measureText(text);
  ctx.fillRect(x - 3, y - 20, m.width + 6, 26);
  ctx.fillStyle = "#fff";
  ctx.fillText(text, x, y);
}

/** A region's hottest and mean temperature in a frame (the part of it inside the frame). */
export function roiStats(f: WireFrame, roi: Roi): { max: number; mean: number } {
  let max = -Infinity;
  let sum = 0;
  let n = 0;
  for (let y = roi.y; y < roi.y + roi.height && y < f.height; y++) {
    for (let x = roi.x; x < roi.x + roi.width && x < f.width; x++) {
      const v = f.celsius[y * f.width + x];
      max = Math.max(max, v);
      sum += v;
      n++;
    }
  }
  return { max, mean: n ? sum / n : NaN };
}

/** A palette's colours as a vertical bar, hottest at the top, on a 16 × 256 canvas. */
export function drawPaletteBar(canvas: HTMLCanvasElement, lut: Uint8Array): void {
  const ctx = canvas.getContext("2d")!;
  const img = ctx.createImageData(1, 256);
  for (let i = 0; i < 256; i++) {
    const k = (255 - i) * 3;
    img.data.set([lut[k], lut[k + 1], lut[k + 2], 255], i * 4);
  }
  const tmp = document.createElement("canvas");
  tmp.width = 1;
  tmp.height = 256;
  tmp.getContext("2d")!.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tmp, 0, 0, 16, 256);
}
