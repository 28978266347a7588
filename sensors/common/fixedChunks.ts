/** Cuts a byte stream into pieces of exactly `size` bytes (video frames, blocks of samples). */
export class FixedChunks {
  private parts: Buffer[] = [];
  private length = 0;

  constructor(private readonly size: number) {}

  push(chunk: Buffer): Buffer[] {
    this.parts.push(chunk);
    this.length += chunk.length;
    if (this.length < this.size) return [];
    let buf = Buffer.concat(this.parts, this.length);
    const out: Buffer[] = [];
    while (buf.length >= this.size) {
      out.push(buf.subarray(0, this.size));
      buf = buf.subarray(this.size);
    }
    this.parts = buf.length ? [Buffer.from(buf)] : [];
    this.length = buf.length;
    return out;
  }

  /** Drops a partial piece, e.g. when ffmpeg restarted. */
  reset(): void {
    this.parts = [];
    this.length = 0;
  }
}
