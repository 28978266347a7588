import FFT from "fft.js";

export interface Band {
  name: string;
  low: number;
  high: number;
}

export interface SpectrumColumn {
  ts: number;
  /** Top of the last bin in Hz (the Nyquist frequency). */
  maxHz: number;
  /** Power per linear frequency bin, 0 = −120 dBFS … 255 = 0 dBFS. */
  bins: Uint8Array;
}

export interface AudioLevels {
  levelDb: number;
  peakDb: number;
  bands: number[];
  spectrum: SpectrumColumn;
}

/** Silence reads as this, not −∞. */
export const FLOOR_DB = -120;
const FFT_SIZE = 2048;
const SPECTRUM_BINS = 128;

const db = (ratio: number) => Math.max(FLOOR_DB, 10 * Math.log10(ratio));

/** Octave bands centred on 63 Hz … 8 kHz, cut at the Nyquist frequency. */
export function octaveBands(sampleRate: number): Band[] {
  const nyquist = sampleRate / 2;
  return [63, 125, 250, 500, 1000, 2000, 4000, 8000]
    .map((fc) => ({ name: fc >= 1000 ? `${fc / 1000}k` : String(fc), low: fc / Math.SQRT2, high: Math.min(nyquist, fc * Math.SQRT2) }))
    .filter((b) => b.low < nyquist);
}

/**
 * Levels of a block of mono samples (−1…1), in dBFS by AES17: a full-scale sine reads 0 dBFS,
 * so a sine of amplitude 0.1 reads −20 dBFS as RMS level, peak level and in the band around its
 * frequency. Bands come from a Hann-windowed FFT, scaled so that band powers sum to the
 * signal's mean square (Parseval).
 */
export class AudioAnalyzer {
  private readonly fft = new FFT(FFT_SIZE);
  private readonly spectrum = this.fft.createComplexArray();
  private readonly input = new Float64Array(FFT_SIZE);
  private window = new Float64Array(0);
  private windowPower = 0;

  constructor(
    readonly sampleRate: number,
    readonly bands: Band[],
  ) {}

  analyse(samples: Float32Array, ts: number): AudioLevels {
    const n = Math.min(samples.length, FFT_SIZE);
    if (this.window.length !== n) {
      this.window = Float64Array.from({ length: n }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n));
      this.windowPower = this.window.reduce((a, w) => a + w * w, 0);
    }
    let sumSq = 0;
    let peak = 0;
    for (let i = 0; i < samples.length; i++) {
      const v = samples[i];
      sumSq += v * v;
      if (Math.abs(v) > peak) peak = Math.abs(v);
    }
    this.input.fill(0);
    for (let i = 0; i < n; i++) this.input[i] = samples[i] * this.window[i];
    this.fft.realTransform(this.spectrum, this.input);
    const binHz = this.sampleRate / FFT_SIZE;
    const scale = 2 / (FFT_SIZE * this.windowPower);
    const power = new Float64Array(FFT_SIZE / 2);
    for (let k = 1; k < FFT_SIZE / 2; k++) power[k] = (this.spectrum[2 * k] ** 2 + this.spectrum[2 * k + 1] ** 2) * scale;

    const bands = this.bands.map((b) => {
      let p = 0;
      for (let k = Math.ceil(b.low / binHz); k < Math.min(FFT_SIZE / 2, b.high / binHz); k++) p += power[k];
      return db(2 * p);
    });
    const bins = new Uint8Array(SPECTRUM_BINS);
    const per = FFT_SIZE / 2 / SPECTRUM_BINS;
    for (let j = 0; j < SPECTRUM_BINS; j++) {
      let p = 0;
      for (let k = j * per; k < (j + 1) * per; k++) p += power[k];
      bins[j] = Math.round(((db(2 * p) - FLOOR_DB) / -FLOOR_DB) * 255);
    }
    return {
      levelDb: db((2 * sumSq) / samples.length),
      peakDb: Math.max(FLOOR_DB, 20 * Math.log10(peak)),
      bands,
      spectrum: { ts, maxHz: this.sampleRate / 2, bins },
    };
  }
}
