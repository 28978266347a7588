/** Test signals as 48 kHz mono s16le, generated continuously across calls. */
export class SignalGenerator {
  private n = 0;
  kind: "sine" | "silence" | "noise" = "sine";

  constructor(
    private readonly frequency = 1000,
    private readonly amplitude = 0.1,
    private readonly sampleRate = 48_000,
  ) {}

  /** `ms` milliseconds of signal. */
  next(ms: number): Buffer {
    const count = Math.round((this.sampleRate * ms) / 1000);
    const out = Buffer.alloc(count * 2);
    for (let i = 0; i < count; i++, this.n++) {
      let v = 0;
      if (this.kind === "sine") v = this.amplitude * Math.sin((2 * Math.PI * this.frequency * this.n) / this.sampleRate);
      else if (this.kind === "noise") v = this.amplitude * (Math.random() * 2 - 1);
      out.writeInt16LE(Math.round(v * 32767), i * 2);
    }
    return out;
  }
}
