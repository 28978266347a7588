import { z } from "zod";

/** One radiometric image: temperatures in °C, row-major. */
export interface ThermalFrame {
  width: number;
  height: number;
  seq: number;
  /** Milliseconds since the Unix epoch. */
  ts: number;
  celsius: Float32Array;
}

export interface FrameStats {
  min: number;
  max: number;
  mean: number;
  hotX: number;
  hotY: number;
}

/** Largest accepted frame: a 640×512 radiometric camera. */
export const MAX_PIXELS = 640 * 512;
/** Outside this, a pixel is a decoding error rather than a temperature. */
export const PLAUSIBLE_C = { min: -80, max: 2000 } as const;

export const roiSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, "expected a region name of letters, digits, _ and -"),
    x: z.number().int().min(0),
    y: z.number().int().min(0),
    width: z.number().int().min(1),
    height: z.number().int().min(1),
  })
  .strict();
export type Roi = z.output<typeof roiSchema>;

export function frameStats(frame: ThermalFrame, roi?: Roi): FrameStats {
  const x0 = roi?.x ?? 0;
  const y0 = roi?.y ?? 0;
  const x1 = Math.min(frame.width, x0 + (roi?.width ?? frame.width));
  const y1 = Math.min(frame.height, y0 + (roi?.height ?? frame.height));
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let hotX = x0;
  let hotY = y0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const v = frame.celsius[y * frame.width + x];
      sum += v;
      if (v < min) min = v;
      if (v > max) {
        max = v;
        hotX = x;
        hotY = y;
      }
    }
  }
  return { min, max, mean: sum / ((x1 - x0) * (y1 - y0)), hotX, hotY };
}

export function roiFits(roi: Roi, width: number, height: number): boolean {
  return roi.x + roi.width <= width && roi.y + roi.height <= height;
}
