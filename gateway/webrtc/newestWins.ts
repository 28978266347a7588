import { frameStats } from "../../sensors/index.js";
import type { Hub, HubEvent } from "../hub/hub.js";
import { encodeSpectrum } from "../protocol/spectrum.js";
import { encodeThermal } from "../protocol/thermal.js";
import { DrainWatch } from "./drainWatch.js";
import type { MessageOut } from "./telemetryStream.js";

/** Something to send: the object it is made from (so it is encoded once for all viewers) and how. */
interface Item {
  from: object;
  encode(): Uint8Array;
}

const encoded = new WeakMap<object, Buffer>();

function bytesOf(item: Item): Buffer {
  let bytes = encoded.get(item.from);
  if (!bytes) {
    const u8 = item.encode();
    bytes = Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
    encoded.set(item.from, bytes);
  }
  return bytes;
}

/**
 * Binary data to one viewer on an unordered, no-retransmit channel. Newest wins: while earlier
 * messages have not left yet, new ones are skipped, so nothing queues up for a slow viewer, and
 * nothing at all is sent while the link delivers nothing (a blackout).
 */
export class NewestWinsStream {
  private unsubscribe: (() => void) | undefined;
  private readonly link: DrainWatch;

  constructor(
    private readonly hub: Hub,
    private readonly out: MessageOut,
    private readonly highWaterBytes: number,
    private readonly pick: (e: HubEvent) => Item | undefined,
    private readonly initial: () => Item[] = () => [],
  ) {
    this.link = new DrainWatch(out);
  }

  start(): void {
    if (this.unsubscribe) return;
    for (const item of this.initial()) this.link.send(bytesOf(item));
    this.unsubscribe = this.hub.subscribe((e) => {
      const item = this.pick(e);
      if (item && this.out.bufferedAmount <= this.highWaterBytes && !this.link.stalled) this.link.send(bytesOf(item));
    });
  }

  stop(): void {
    this.unsubscribe?.();
  }
}

/** Radiometric frames of every camera, or only of `only` when the session is scoped to one source. */
export function thermalStream(hub: Hub, out: MessageOut, only?: string): NewestWinsStream {
  const item = (camera: string, frame: NonNullable<ReturnType<Hub["latestFrame"]>>): Item => ({
    from: frame,
    encode: () => {
      const { min, max, mean, hotX, hotY } = frameStats(frame);
      return encodeThermal({ camera, width: frame.width, height: frame.height, seq: frame.seq, ts: frame.ts, min, max, mean, hotX, hotY, celsius: frame.celsius });
    },
  });
  return new NewestWinsStream(
    hub,
    out,
    96 * 1024,
    (e) => (e.type === "frame" && (!only || e.camera === only) ? item(e.camera, e.frame) : undefined),
    () =>
      hub.cameraStates().flatMap((cam) => {
        const frame = hub.latestFrame(cam.info.id);
        return frame && !cam.stale && (!only || cam.info.id === only) ? [item(cam.info.id, frame)] : [];
      }),
  );
}

/** Spectrogram columns of every microphone, or only of `only`. */
export function spectrumStream(hub: Hub, out: MessageOut, only?: string): NewestWinsStream {
  return new NewestWinsStream(hub, out, 16 * 1024, (e) =>
    e.type === "spectrum" && (!only || e.mic === only)
      ? { from: e.column, encode: () => encodeSpectrum({ mic: e.mic, ts: e.column.ts, maxHz: e.column.maxHz, bins: e.column.bins }) }
      : undefined,
  );
}
