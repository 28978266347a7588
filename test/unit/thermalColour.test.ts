import { describe, expect, it } from "vitest";
import { colourise, followRange, frameRange, paletteLut, PALETTES, VIDEO_RANGE_TAU_MS } from "../../gateway/protocol/thermal.js";
import { inverseLut, matchFrame, recolour, remapIndices, type ColouredFrame } from "../../dashboard/src/thermalColour.js";
import { loadSettings, parseFixedRange, saveSettings, SLOW_RANGE_TAU_MS } from "../../dashboard/src/thermalSettings.js";

describe("colour ranges", () => {
  it("gives a uniform frame a range of at least 2 °C", () => {
    expect(frameRange(30, 30.5, 0)).toEqual({ lo: 30, hi: 32, ts: 0 });
    expect(frameRange(20, 80, 0)).toEqual({ lo: 20, hi: 80, ts: 0 });
  });

  it("follows a jump in the scene smoothly, by frame time, and arrives", () => {
    let r = followRange(undefined, 20, 40, 0, SLOW_RANGE_TAU_MS);
    const his = [r.hi];
    for (let ts = 125; ts <= 30_000; ts += 125) {
      r = followRange(r, 20, 80, ts, SLOW_RANGE_TAU_MS);
      his.push(r.hi);
    }
    const steps = his.slice(1).map((h, i) => h - his[i]);
    expect(Math.max(...steps)).toBeLessThan(2); // 40 °C of jump, never more than 2 °C per frame
    expect(steps.every((s) => s >= 0)).toBe(true);
    expect(his[8]).toBeGreaterThan(45); // a second later it has moved
    expect(his[8]).toBeLessThan(60);
    expect(r.hi).toBeCloseTo(80, 1);
    expect(r.lo).toBe(20);
  });

  it("does not depend on the frame rate", () => {
    let fast = followRange(undefined, 20, 40, 0, VIDEO_RANGE_TAU_MS);
    for (let ts = 50; ts <= 1000; ts += 50) fast = followRange(fast, 20, 80, ts, VIDEO_RANGE_TAU_MS);
    let slow = followRange(undefined, 20, 40, 0, VIDEO_RANGE_TAU_MS);
    for (let ts = 250; ts <= 1000; ts += 250) slow = followRange(slow, 20, 80, ts, VIDEO_RANGE_TAU_MS);
    expect(fast.hi).toBeCloseTo(slow.hi, 6);
  });

  it("starts anew when a frame is older than the last (a clock set back)", () => {
    const r = followRange({ lo: 0, hi: 100, ts: 10_000 }, 20, 40, 5000, SLOW_RANGE_TAU_MS);
    expect(r).toEqual({ lo: 20, hi: 40, ts: 5000 });
  });
});

describe("re-colouring the video", () => {
  for (const palette of PALETTES) {
    it(`reads ${palette} colours back as the index they came from (within 4 of 255)`, () => {
      const inverse = inverseLut(paletteLut(palette));
      const lut = paletteLut(palette);
      let worst = 0;
      for (let i = 0; i < 256; i++) {
        const key = ((lut[i * 3] >> 3) << 10) | ((lut[i * 3 + 1] >> 3) << 5) | (lut[i * 3 + 2] >> 3);
        worst = Math.max(worst, Math.abs(inverse[key] - i));
      }
      expect(worst).toBeLessThanOrEqual(4);
    });
  }

  it("maps indices between ranges through temperature", () => {
    const map = remapIndices(20, 40, 0, 100);
    expect(map[0]).toBe(51); // 20 °C of 0…100
    expect(map[255]).toBe(102); // 40 °C
    expect(remapIndices(0, 100, 20, 40)[0]).toBe(0); // below the range: its coldest colour
    expect(remapIndices(0, 100, 20, 40)[255]).toBe(255);
  });

  it("turns an ironbow picture into the grey picture of the same temperatures over another range", () => {
    const celsius = Float32Array.from({ length: 64 }, (_, i) => 20 + i * (20 / 63));
    const ironbow = new Uint8ClampedArray(64 * 4);
    colourise(celsius, 20, 40, paletteLut("ironbow"), ironbow, 4);
    recolour(ironbow, inverseLut(paletteLut("ironbow")), remapIndices(20, 40, 10, 50), paletteLut("grey"));
    const expected = new Uint8ClampedArray(64 * 4);
    colourise(celsius, 10, 50, paletteLut("grey"), expected, 4);
    for (let i = 0; i < 64; i++) {
      expect(Math.abs(ironbow[i * 4] - expected[i * 4])).toBeLessThanOrEqual(8);
      expect(ironbow[i * 4]).toBe(ironbow[i * 4 + 1]);
      expect(ironbow[i * 4 + 3]).toBe(255);
    }
  });
});

describe("finding the frame a video picture shows", () => {
  // A block heating from 40 to 120 °C while the gateway's range follows it.
  const frames: ColouredFrame[] = [40, 60, 80, 100, 120].map((hot, k) => ({
    width: 32,
    height: 24,
    celsius: Float32Array.from({ length: 32 * 24 }, (_, i) => (i % 32 >= 16 ? hot : 30)),
    lo: 20,
    hi: hot + 10 - k,
  }));
  const picture = (f: ColouredFrame) => (x: number, y: number) => Math.round(Math.max(0, Math.min(255, ((f.celsius[y * 32 + x] - f.lo) / (f.hi - f.lo)) * 255)));

  it("picks the frame whose colours the picture has, however far behind the video runs", () => {
    for (let k = 0; k < frames.length; k++) expect(matchFrame(frames, picture(frames[k]))).toBe(k);
  });

  it("tolerates compression noise, and takes the newest of equally good frames", () => {
    const noisy = (x: number, y: number) => Math.max(0, Math.min(255, picture(frames[2])(x, y) + ((x * 7 + y * 3) % 9) - 4));
    expect(matchFrame(frames, noisy)).toBe(2);
    const still = [frames[0], { ...frames[0] }, { ...frames[0] }];
    expect(matchFrame(still, picture(frames[0]))).toBe(2);
    expect(matchFrame([], () => 0)).toBe(-1);
  });
});

describe("thermal view settings", () => {
  it("reads typed ranges with a decimal point or comma and says what is wrong", () => {
    expect(parseFixedRange("20", "60,5")).toEqual({ range: [20, 60.5] });
    expect(parseFixedRange(" -10.5 ", "0")).toEqual({ range: [-10.5, 0] });
    expect(parseFixedRange("60", "20")).toEqual({ error: "thermal.range.order" });
    expect(parseFixedRange("20", "20")).toEqual({ error: "thermal.range.order" });
    expect(parseFixedRange("", "20")).toEqual({ error: "thermal.range.notNumber" });
    expect(parseFixedRange("20°", "30")).toEqual({ error: "thermal.range.notNumber" });
    expect(parseFixedRange("1e3", "2000")).toEqual({ error: "thermal.range.notNumber" });
    expect(parseFixedRange("-100", "20")).toEqual({ error: "thermal.range.limits" });
  });

  it("keeps settings per camera and falls back to the defaults for anything unreadable", () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
    saveSettings("a", { palette: "grey", mode: "fixed", fixed: [20, 60] }, storage);
    expect(loadSettings("a", storage)).toEqual({ palette: "grey", mode: "fixed", fixed: [20, 60] });
    expect(loadSettings("b", storage)).toEqual({ palette: "ironbow", mode: "auto", fixed: null });
    store.set("wachter.thermal.c", "{not json");
    expect(loadSettings("c", storage).mode).toBe("auto");
    store.set("wachter.thermal.d", JSON.stringify({ palette: "neon", mode: "fixed", fixed: [60, 20] }));
    expect(loadSettings("d", storage)).toEqual({ palette: "ironbow", mode: "auto", fixed: null });
    expect(loadSettings("e", undefined).palette).toBe("ironbow");
  });
});
