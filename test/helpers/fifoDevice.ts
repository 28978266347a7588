import { constants } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";

/**
 * A device that streams into a FIFO at its own pace, as a camera (Y16 frames) or an ALSA
 * capture (PCM blocks) feeds ffmpeg, and keeps going when ffmpeg restarts (reopening the FIFO).
 */
export class FifoDevice {
  private running = false;
  private done: Promise<void> | undefined;
  private handle: FileHandle | undefined;
  frame: () => Buffer;

  constructor(
    private readonly fifo: string,
    frame: () => Buffer,
    private readonly perSecond = 9,
  ) {
    this.frame = frame;
  }

  start(): void {
    this.running = true;
    this.done = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.handle?.close().catch(() => {});
    // With ffmpeg gone, the loop may be waiting in open() for a reader that never comes (it would
    // hang the test's teardown): opening the FIFO for reading ourselves lets that open return.
    const reader = await open(this.fifo, constants.O_RDONLY | constants.O_NONBLOCK).catch(() => undefined);
    await this.done;
    await reader?.close();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        this.handle = await open(this.fifo, "w");
        while (this.running) {
          await this.handle.write(this.frame());
          await new Promise((r) => setTimeout(r, 1000 / this.perSecond));
        }
      } catch {
        // The reader went away (ffmpeg died): wait for the next one.
        await new Promise((r) => setTimeout(r, 50));
      } finally {
        await this.handle?.close().catch(() => {});
      }
    }
  }
}
