import { existsSync, mkdtempSync } from "node:fs";
import { appendFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Proc } from "./processes.js";
import { waitFor } from "./ports.js";

/**
 * A real kernel tty pair made by socat: the gateway opens `device`, the test writes what a
 * sensor board would send into `board`. Stopping socat is an unplug; start() again is a replug.
 */
export class PtyPair {
  readonly device: string;
  readonly board: string;
  private proc: Proc | undefined;
  private unplugging = false;

  constructor(dir = mkdtempSync(join(tmpdir(), "wachter-tty-"))) {
    this.device = join(dir, "ttyGATEWAY");
    this.board = join(dir, "ttyBOARD");
  }

  async start(): Promise<void> {
    this.unplugging = false;
    this.proc = new Proc("socat", ["-d", "-d", `pty,raw,echo=0,link=${this.device}`, `pty,raw,echo=0,link=${this.board}`]);
    await waitFor("socat pty links", () => existsSync(this.device) && existsSync(this.board), 5000);
  }

  /**
   * What the board sends, for a test that feeds it on a timer without waiting: a write still under
   * way when the pair is unplugged fails (EIO), as a board's would, and is dropped.
   */
  async send(data: string | Uint8Array): Promise<void> {
    await appendFile(this.board, data).catch((err: unknown) => {
      if (!this.unplugging) throw err;
    });
  }

  async unplug(): Promise<void> {
    this.unplugging = true;
    await this.proc?.stop("SIGTERM");
    await waitFor("pty links removed", () => !existsSync(this.device), 5000);
  }
}
