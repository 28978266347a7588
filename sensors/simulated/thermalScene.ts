import type { SimField } from "./machineModel.js";

export const SCENE = { width: 32, height: 24 } as const;

/** Regions of the simulated scene, in pixels, for its derived channels. */
export const SCENE_ROIS = [
  { name: "bearing", x: 15, y: 8, width: 8, height: 8 },
  { name: "motor", x: 5, y: 6, width: 6, height: 12 },
];

const gauss = (d2: number, sigma: number) => Math.exp(-d2 / (2 * sigma * sigma));

/**
 * What a 32×24 thermal sensor pointed at the machine would see: ambient background, the
 * housing warmed by the motor at its left end, and the spindle bearing, whose hottest point
 * orbits with the shaft. Temperatures follow the machine model.
 */
export function renderScene(temps: Record<SimField, number>, t: number, noise: () => number): Float32Array {
  const { width, height } = SCENE;
  const out = new Float32Array(width * height);
  const amb = temps.ambient;
  const housing = amb + 0.5 * (temps.coolant - amb) + 0.25 * (temps.motor - amb);
  const angle = (2 * Math.PI * t) / 6;
  const hx = 19 + 1.6 * Math.cos(angle);
  const hy = 12 + 1.6 * Math.sin(angle);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // Soft-edged housing block from x 4..28, y 5..19.
      const inside = gauss(Math.max(0, 4 - x, x - 27) ** 2 + Math.max(0, 5 - y, y - 18) ** 2, 0.8);
      let v = amb + 0.4 * (y / height) + inside * (housing - amb);
      v += gauss((x - 8) ** 2 + (y - 12) ** 2, 3) * (temps.motor - housing);
      v += gauss((x - 19) ** 2 + (y - 12) ** 2, 2.6) * (temps.bearing - housing) * 0.9;
      v += gauss((x - hx) ** 2 + (y - hy) ** 2, 1.1) * (temps.bearing - housing) * 0.25;
      out[y * width + x] = v + noise() * 0.08;
    }
  }
  return out;
}
