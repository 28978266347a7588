import { frameStats, type ThermalFrame } from "../../sensors/index.js";
import type { Hub } from "../hub/hub.js";
import { encodeThermal } from "../protocol/thermal.js";
import type { MessageOut } from "./telemetryStream.js";

const encoded = new WeakMap<ThermalFrame, Buffer>();

/** Encodes each frame once, however many viewers receive it. */
function wire(camera: string, frame: ThermalFrame): Buffer {
  let bytes = encoded.get(frame);
  if (!bytes) {
    const { min, max, mean, hotX, hotY } = frameStats(frame);
    const u8 = encodeThermal({ camera, width: frame.width, height: frame.height, seq: frame.seq, ts: frame.ts, min, max, mean, hotX, hotY, celsius: frame.celsius });
    bytes = Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
    encoded.set(frame, bytes);
  }
  return bytes;
}

/**
 * Radiometric frames to one viewer on an unordered, no-retransmit channel. Newest frame wins:
 * when the previous frames have not left yet, this one is skipped, so nothing queues up.
 */
export class ThermalStream {
  private unsubscribe: (() => void) | undefined;
  constructor(
    private readonly hub: Hub,
    private readonly out: MessageOut,
    /** Only this camera, when the session is scoped to one source. */
    private readonly only?: string,
    private readonly highWaterBytes = 96 * 1024,
  ) {}

  start(): void {
    if (this.unsubscribe) return;
    for (const cam of this.hub.cameraStates()) {
      if (this.only && cam.info.id !== this.only) continue;
      const frame = this.hub.latestFrame(cam.info.id);
      if (frame && !cam.stale) this.out.send(wire(cam.info.id, frame));
    }
    this.unsubscribe = this.hub.subscribe((e) => {
      if (e.type !== "frame" || (this.only && e.camera !== this.only)) return;
      if (this.out.bufferedAmount <= this.highWaterBytes) this.out.send(wire(e.camera, e.frame));
    });
  }

  stop(): void {
    this.unsubscribe?.();
  }
}
