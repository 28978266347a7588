import type { MessageOut } from "./telemetryStream.js";

/** A channel that has moved nothing for this long is not reaching its viewer (a blackout, Wi-Fi gone). */
export const STALL_MS = 1000;

/**
 * Whether a data channel gets anything through: the bytes it has delivered (sent minus still
 * buffered) not growing for `stallMs` while some are buffered means whatever is sent now only
 * queues up. A slow link still delivers, so it is not stalled; a dead one is, within `stallMs`.
 */
export class DrainWatch {
  private sentBytes = 0;
  private delivered = 0;
  private progressAt = performance.now();

  constructor(
    private readonly out: MessageOut,
    private readonly stallMs = STALL_MS,
  ) {}

  send(data: string | Buffer): void {
    this.sentBytes += typeof data === "string" ? Buffer.byteLength(data) : data.length;
    this.out.send(data);
  }

  get stalled(): boolean {
    const buffered = this.out.bufferedAmount;
    const delivered = this.sentBytes - buffered;
    if (buffered === 0 || delivered > this.delivered) {
      this.delivered = delivered;
      this.progressAt = performance.now();
    }
    return performance.now() - this.progressAt > this.stallMs;
  }
}
