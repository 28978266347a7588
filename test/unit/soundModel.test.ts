import { describe, expect, it } from "vitest";
import { SoundModel } from "../../sensors/simulated/soundModel.js";

/** The model as a formula: a sine per sample for each tone, evaluated at absolute sample n. */
function reference(n0: number, count: number, bearingC: number, phase0: number, sr = 48_000): { samples: number[]; phase: number } {
  const whine = 10 ** (Math.min(-10, -52 + 0.7 * Math.max(0, bearingC - 30)) / 20);
  const whineHz = 3200 + 40 * Math.sin((2 * Math.PI * n0) / (sr * 7));
  const samples: number[] = [];
  let phase = phase0;
  for (let i = 0; i < count; i++) {
    const t = (n0 + i) / sr;
    phase += (2 * Math.PI * whineHz) / sr;
    const v = 0.03 * Math.sin(2 * Math.PI * 50 * t) + 0.012 * Math.sin(2 * Math.PI * 100 * t) + 0.006 * Math.sin(2 * Math.PI * 150 * t) + whine * (Math.sin(phase) + 0.35 * Math.sin(2 * phase));
    samples.push(Math.max(-32768, Math.min(32767, Math.round(v * 32767))));
  }
  return { samples, phase: phase % (2 * Math.PI) };
}

describe("simulated microphone", () => {
  it("renders the hum and the whine as the per-sample formula does, to within one step, however long it runs", () => {
    // No noise: random() = 0.5 adds 0.
    const model = new SoundModel(() => 0.5);
    let n = 0;
    let phase = 0;
    let worst = 0;
    // 40 ms chunks for ten minutes of sound, the bearing warming from 30 to 90 °C.
    for (let chunk = 0; chunk < 15_000; chunk++) {
      const bearing = 30 + chunk / 250;
      const got = model.render(1920, bearing, 0.5);
      const want = reference(n, 1920, bearing, phase);
      if (chunk % 50 === 0) for (let i = 0; i < 1920; i++) worst = Math.max(worst, Math.abs(got.readInt16LE(i * 2) - want.samples[i]));
      n += 1920;
      phase = want.phase;
    }
    expect(worst).toBeLessThanOrEqual(1);
  });

  it("adds noise that follows the load", () => {
    let flip = false;
    const loud = new SoundModel(() => ((flip = !flip) ? 1 : 0)).render(960, 30, 1);
    const quiet = new SoundModel(() => ((flip = !flip) ? 1 : 0)).render(960, 30, 0);
    const silent = new SoundModel(() => 0.5).render(960, 30, 0);
    const rms = (b: Buffer, base: Buffer) => Math.sqrt(Array.from({ length: 960 }, (_, i) => (b.readInt16LE(i * 2) - base.readInt16LE(i * 2)) ** 2).reduce((a, x) => a + x) / 960);
    expect(rms(quiet, silent) / 32767).toBeCloseTo(0.006, 3);
    expect(rms(loud, silent) / 32767).toBeCloseTo(0.016, 3);
  });

  it("refuses a sample rate the 50 Hz hum does not divide", () => {
    expect(() => new SoundModel(Math.random, 44_110)).toThrow(/not a multiple of the 50 Hz/);
  });
});
