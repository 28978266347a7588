/**
 * What a microphone on the spindle housing hears, at 48 kHz: mains hum at 50 Hz with
 * harmonics, broadband machine noise following the load, and a bearing whine near 3.2 kHz
 * (with its second harmonic) that grows louder as the bearing heats up.
 *
 * Rendered without a sine per sample: the hum repeats every 20 ms and is read from one period
 * computed once, and the whine's phase turns as a unit vector rotated by a fixed step per chunk.
 * Five `Math.sin` calls per sample, of arguments that grow with uptime, were the largest single
 * cost of the idle demo gateway.
 */
export class SoundModel {
  private n = 0;
  private whinePhase = 0;
  private readonly hum: Float64Array;

  constructor(
    private readonly random: () => number,
    readonly sampleRate = 48_000,
  ) {
    const period = sampleRate / 50;
    if (!Number.isInteger(period)) throw new Error(`sample rate ${sampleRate} Hz is not a multiple of the 50 Hz mains`);
    this.hum = new Float64Array(period);
    for (let i = 0; i < period; i++) {
      const x = (2 * Math.PI * i) / period;
      this.hum[i] = 0.03 * Math.sin(x) + 0.012 * Math.sin(2 * x) + 0.006 * Math.sin(3 * x);
    }
  }

  render(count: number, bearingC: number, load: number): Buffer {
    const out = Buffer.alloc(count * 2);
    const sr = this.sampleRate;
    const whineDb = Math.min(-10, -52 + 0.7 * Math.max(0, bearingC - 30));
    const whine = 10 ** (whineDb / 20);
    const noise = 0.006 + 0.01 * load;
    // The whine drifts a little with speed, as a real bearing's does.
    const whineHz = 3200 + 40 * Math.sin((2 * Math.PI * (this.n % (sr * 7))) / (sr * 7));
    const step = (2 * Math.PI * whineHz) / sr;
    const stepCos = Math.cos(step);
    const stepSin = Math.sin(step);
    let cos = Math.cos(this.whinePhase);
    let sin = Math.sin(this.whinePhase);
    const period = this.hum.length;
    let h = this.n % period;
    for (let i = 0; i < count; i++) {
      const c = cos * stepCos - sin * stepSin;
      sin = sin * stepCos + cos * stepSin;
      cos = c;
      // sin 2φ = 2 sin φ cos φ
      let v = this.hum[h] + whine * sin * (1 + 0.7 * cos);
      v += noise * (this.random() * 2 - 1);
      out.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(v * 32767))), i * 2);
      if (++h === period) h = 0;
    }
    this.n += count;
    this.whinePhase = (this.whinePhase + count * step) % (2 * Math.PI);
    return out;
  }
}
