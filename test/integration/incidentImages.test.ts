import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { spectrogramImage, thermalStill } from "../../gateway/incidents/images.js";
import { paletteLut, type WireFrame } from "../../gateway/protocol/thermal.js";

// The record's pictures, read back by an independent PNG decoder: ffmpeg's.

const IRONBOW = paletteLut("ironbow");
const ironbow = (i: number) => [...IRONBOW.subarray(i * 3, i * 3 + 3)];

function decode(png: Uint8Array): { width: number; height: number; at(x: number, y: number): number[] } {
  const probe = spawnSync("ffprobe", ["-v", "error", "-show_entries", "stream=width,height,codec_name", "-of", "csv=p=0", "-i", "pipe:0"], { input: png, encoding: "utf8" });
  expect(probe.status, probe.stderr).toBe(0);
  const [codec, width, height] = probe.stdout.trim().split(",");
  expect(codec).toBe("png");
  const raw = spawnSync("ffmpeg", ["-v", "error", "-i", "pipe:0", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"], { input: png, maxBuffer: 64 << 20 });
  expect(raw.status, raw.stderr.toString()).toBe(0);
  const [w, h] = [Number(width), Number(height)];
  expect(raw.stdout.length).toBe(w * h * 3);
  return { width: w, height: h, at: (x, y) => [...raw.stdout.subarray((y * w + x) * 3, (y * w + x) * 3 + 3)] };
}

/** 32 × 24, 20 °C at the left rising to 40 °C at the right, one pixel at 60 °C. */
function frame(): WireFrame {
  const celsius = new Float32Array(32 * 24);
  for (let y = 0; y < 24; y++) for (let x = 0; x < 32; x++) celsius[y * 32 + x] = 20 + (20 * x) / 31;
  celsius[12 * 32 + 30] = 60;
  return { camera: "cam", width: 32, height: 24, seq: 7, ts: 0, min: 20, max: 60, mean: 30, hotX: 30, hotY: 12, celsius };
}

describe("incident record pictures", () => {
  it("a still shows the frame's own pixels in ironbow over its range, its region, its hottest spot and the scale", () => {
    const png = thermalStill(frame(), [{ x: 2, y: 2, width: 4, height: 4 }]);
    expect(Buffer.from(thermalStill(frame(), [{ x: 2, y: 2, width: 4, height: 4 }])).equals(Buffer.from(png))).toBe(true);
    const img = decode(png);
    // 32 pixels at 10 each, then the scale.
    expect(img.width).toBeGreaterThan(320 + 8 + 16);
    expect(img.height).toBe(240);
    // A sensor pixel is a 10 × 10 square of one colour: the coldest the palette's first.
    expect(img.at(0, 50)).toEqual(ironbow(0));
    expect(img.at(9, 59)).toEqual(ironbow(0));
    expect(img.at(10, 50)).not.toEqual(ironbow(0));
    // 40 °C of 20…60 °C is the palette's middle; away from the region and the cross.
    expect(img.at(31 * 10 + 5, 22 * 10 + 5)).toEqual(ironbow(128));
    // The hottest pixel's square, off the cross's lines, and the region's outline.
    expect(img.at(30 * 10 + 1, 12 * 10 + 1)).toEqual(ironbow(255));
    expect(img.at(30 * 10 + 5, 12 * 10 + 1)).toEqual([255, 255, 255]);
    expect(img.at(20, 30)).toEqual([255, 255, 255]);
    // The scale: hottest at the top, coldest at the bottom, and a label beside each end.
    expect(img.at(320 + 8 + 8, 0)).toEqual(ironbow(255));
    expect(img.at(320 + 8 + 8, 239)).toEqual(ironbow(0));
    const white = (y0: number, y1: number) => {
      let n = 0;
      for (let y = y0; y < y1; y++) for (let x = 320 + 8 + 22; x < img.width; x++) if (img.at(x, y).join() === "255,255,255") n++;
      return n;
    };
    expect(white(0, 14)).toBeGreaterThan(40);
    expect(white(226, 240)).toBeGreaterThan(40);
    expect(white(40, 200)).toBe(0);
  });

  it("a spectrogram has a pixel per column and bin, 0 Hz at the bottom, and a white column at the moment", () => {
    const columns = [0, 100, 200, 300].map((ts, i) => ({ ts, bins: Uint8Array.from({ length: 64 }, (_, b) => (b * 4 + i * 10) % 256) }));
    const img = decode(spectrogramImage(columns, 190));
    expect([img.width, img.height]).toEqual([4, 64]);
    expect(img.at(0, 63)).toEqual(ironbow(0));
    expect(img.at(1, 0)).toEqual(ironbow((63 * 4 + 10) % 256));
    expect(img.at(3, 40)).toEqual(ironbow((23 * 4 + 30) % 256));
    for (let y = 0; y < 64; y++) expect(img.at(2, y)).toEqual([255, 255, 255]);
  });
});
