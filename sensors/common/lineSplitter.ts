/**
 * Splits a byte stream into text lines (LF, CRLF or CR). A line longer than maxBytes is
 * discarded up to the next line end and reported once as an overflow, so a device that never
 * sends a newline cannot grow memory.
 */
export type SplitResult = { line: string } | { overflow: number };

export class LineSplitter {
  private parts: Buffer[] = [];
  private length = 0;
  private discarding = 0;
  private lastWasCR = false;

  constructor(private readonly maxBytes = 8192) {}

  push(chunk: Buffer): SplitResult[] {
    const out: SplitResult[] = [];
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte !== 0x0a && byte !== 0x0d) continue;
      if (byte === 0x0a && this.lastWasCR && i === start && this.length === 0 && !this.discarding) {
        // LF of a CRLF pair whose CR ended the previous line.
        start = i + 1;
        this.lastWasCR = false;
        continue;
      }
      this.append(chunk.subarray(start, i));
      out.push(this.take());
      this.lastWasCR = byte === 0x0d;
      start = i + 1;
    }
    if (start < chunk.length) {
      this.lastWasCR = false;
      this.append(chunk.subarray(start));
    }
    return out;
  }

  /** Drops a partial line, e.g. after the device was reopened. */
  reset(): void {
    this.parts = [];
    this.length = 0;
    this.discarding = 0;
    this.lastWasCR = false;
  }

  private append(bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (this.discarding || this.length + bytes.length > this.maxBytes) {
      this.discarding += this.length + bytes.length;
      this.parts = [];
      this.length = 0;
      return;
    }
    this.parts.push(bytes);
    this.length += bytes.length;
  }

  private take(): SplitResult {
    if (this.discarding) {
      const overflow = this.discarding;
      this.discarding = 0;
      return { overflow };
    }
    const line = Buffer.concat(this.parts, this.length).toString("utf8");
    this.parts = [];
    this.length = 0;
    return { line };
  }
}
