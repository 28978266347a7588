import type { SpectrumColumn } from "../../sensors/index.js";
import type { Hub } from "../hub/hub.js";
import { encodeSpectrum } from "../protocol/spectrum.js";
import type { MessageOut } from "./telemetryStream.js";

const encoded = new WeakMap<SpectrumColumn, Buffer>();

/** Spectrogram columns to one viewer; skipped (never queued) while the viewer is behind. */
export class SpectrumStream {
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly hub: Hub,
    private readonly out: MessageOut,
    private readonly only?: string,
    private readonly highWaterBytes = 16 * 1024,
  ) {}

  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.hub.subscribe((e) => {
      if (e.type !== "spectrum" || (this.only && e.mic !== this.only) || this.out.bufferedAmount > this.highWaterBytes) return;
      let bytes = encoded.get(e.column);
      if (!bytes) {
        const u8 = encodeSpectrum({ mic: e.mic, ts: e.column.ts, maxHz: e.column.maxHz, bins: e.column.bins });
        bytes = Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
        encoded.set(e.column, bytes);
      }
      this.out.send(bytes);
    });
  }

  stop(): void {
    this.unsubscribe?.();
  }
}
