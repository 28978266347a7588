import { Worker } from "node:worker_threads";
import type { WireFrame } from "../protocol/thermal.js";
import { spectrogramImage, thermalStill, type Region } from "./images.js";

/** A picture of a record: the thermal still at the moment, or a microphone's spectrogram. */
export type PictureJob =
  | { kind: "still"; frame: WireFrame; regions: Region[] }
  | { kind: "spectrogram"; columns: Array<{ ts: number; bins: Uint8Array }>; firingAt: number };

/** Draws a picture as PNG bytes, somewhere: `drawHere` on this thread, `PictureWorker.draw` on another. */
export type DrawPicture = (job: PictureJob) => Promise<Uint8Array>;

export function drawPicture(job: PictureJob): Uint8Array {
  return job.kind === "still" ? thermalStill(job.frame, job.regions) : spectrogramImage(job.columns, job.firingAt);
}

export const drawHere: DrawPicture = async (job) => drawPicture(job);

/** How long the worker stays after its last picture: the pictures of one record come seconds apart at most. */
const IDLE_MS = 30_000;
const SCRIPT = new URL("./pictureWorker.js", import.meta.url);
/** A picture takes milliseconds; a worker that has not answered by then is taken to be stuck. */
const TIMEOUT_MS = 20_000;

type Reply = { id: number; png: Uint8Array } | { id: number; error: string };

/**
 * Draws pictures in a worker thread, so that encoding them (tens of milliseconds on a Pi, more
 * while V8 has not yet optimised the encoder) never holds up the live streams. The worker starts
 * with the first picture and ends when idle, so a gateway without incidents keeps no thread.
 */
export class PictureWorker {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (png: Uint8Array) => void; reject: (err: Error) => void; timer: NodeJS.Timeout }>();
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: { idleMs?: number; script?: URL } = {}) {}

  /** Whether a worker thread is loaded. */
  get running(): boolean {
    return this.worker !== undefined;
  }

  readonly draw: DrawPicture = (job) => {
    clearTimeout(this.idleTimer);
    const worker = (this.worker ??= this.start());
    const id = this.nextId++;
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error(`the picture worker did not answer in ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS);
      this.waiting.set(id, { resolve, reject, timer });
      worker.postMessage({ id, job });
    });
  };

  /** Ends the worker; pictures still waiting fail. */
  close(): void {
    this.fail(new Error("the picture worker was stopped"));
  }

  private start(): Worker {
    const worker = new Worker(this.options.script ?? SCRIPT, { resourceLimits: { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8 } });
    // A worker ended by fail() still reports its exit later, when another may have started.
    const mine = () => this.worker === worker;
    worker.on("message", (reply: Reply) => mine() && this.settle(reply));
    worker.on("error", (err) => mine() && this.fail(err));
    worker.on("exit", (code) => mine() && this.fail(new Error(`the picture worker exited (code ${code})`)));
    worker.unref();
    return worker;
  }

  private settle(reply: Reply): void {
    const waiter = this.waiting.get(reply.id);
    if (!waiter) return;
    this.waiting.delete(reply.id);
    clearTimeout(waiter.timer);
    if ("png" in reply) waiter.resolve(reply.png);
    else waiter.reject(new Error(`drawing a picture failed: ${reply.error}`));
    if (this.waiting.size === 0) this.idleTimer = setTimeout(() => this.close(), this.options.idleMs ?? IDLE_MS).unref();
  }

  /** Ends the worker (a later picture starts another) and fails whatever waits on it. */
  private fail(err: Error): void {
    clearTimeout(this.idleTimer);
    const worker = this.worker;
    this.worker = undefined;
    if (worker) void worker.terminate();
    for (const w of this.waiting.values()) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    this.waiting.clear();
  }
}
