import { IdleWorker } from "../../common/idleWorker.js";
import type { WireFrame } from "../protocol/thermal.js";
import { spectrogramImage, thermalStill, type Region } from "./images.js";

/** A picture of a record: the thermal still at the moment, or a microphone's spectrogram. */
export type PictureJob =
  | { kind: "still"; frame: WireFrame; regions: Region[] }
  | { kind: "spectrogram"; columns: Array<{ ts: number; bins: Uint8Array }>; firingAt: number };

/** Draws a picture as PNG bytes, somewhere: `drawHere` on this thread, a `pictureWorker` on another. */
export type DrawPicture = (job: PictureJob) => Promise<Uint8Array>;

export function drawPicture(job: PictureJob): Uint8Array {
  return job.kind === "still" ? thermalStill(job.frame, job.regions) : spectrogramImage(job.columns, job.firingAt);
}

export const drawHere: DrawPicture = async (job) => drawPicture(job);

/**
 * A worker thread for a record's pictures, so that encoding them (tens of milliseconds on a Pi,
 * more while V8 has not yet optimised the encoder) never holds up the live streams. The pictures
 * of one record come seconds apart at most; it ends 30 s after the last.
 */
export function pictureWorker({ idleMs = 30_000, script = new URL("./pictureWorker.js", import.meta.url) }: { idleMs?: number; script?: URL } = {}): IdleWorker<PictureJob, Uint8Array> {
  return new IdleWorker(script, "picture worker", { idleMs, timeoutMs: 20_000, maxWaiting: 16, resourceLimits: { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8 } });
}
