/**
 * What a microphone on the spindle housing hears, at 48 kHz: mains hum at 50 Hz with
 * harmonics, broadband machine noise following the load, and a bearing whine near 3.2 kHz
 * (with its second harmonic) that grows louder as the bearing heats up.
 */
export class SoundModel {
  private n = 0;
  private whinePhase = 0;

  constructor(
    private readonly random: () => number,
    readonly sampleRate = 48_000,
  ) {}

  render(count: number, bearingC: number, load: number): Buffer {
    const out = Buffer.alloc(count * 2);
    const sr = this.sampleRate;
    const whineDb = Math.min(-10, -52 + 0.7 * Math.max(0, bearingC - 30));
    const whine = 10 ** (whineDb / 20);
    const noise = 0.006 + 0.01 * load;
    // The whine drifts a little with speed, as a real bearing's does.
    const whineHz = 3200 + 40 * Math.sin((2 * Math.PI * this.n) / (sr * 7));
    for (let i = 0; i < count; i++, this.n++) {
      const t = this.n / sr;
      this.whinePhase += (2 * Math.PI * whineHz) / sr;
      let v = 0.03 * Math.sin(2 * Math.PI * 50 * t) + 0.012 * Math.sin(2 * Math.PI * 100 * t) + 0.006 * Math.sin(2 * Math.PI * 150 * t);
      v += whine * (Math.sin(this.whinePhase) + 0.35 * Math.sin(2 * this.whinePhase));
      v += noise * (this.random() * 2 - 1);
      out.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(v * 32767))), i * 2);
    }
    if (this.whinePhase > 1e6) this.whinePhase %= 2 * Math.PI;
    return out;
  }
}
