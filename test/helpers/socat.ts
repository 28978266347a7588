import { existsSync, mkdtempSync } from "node:fs";
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

  constructor(dir = mkdtempSync(join(tmpdir(), "wachter-tty-"))) {
    this.device = join(dir, "ttyGATEWAY");
    this.board = join(dir, "ttyBOARD");
  }

  async start(): Promise<void> {
    this.proc = new Proc("socat", ["-d", "-d", `pty,raw,echo=0,link=${this.device}`, `pty,raw,echo=0,link=${this.board}`]);
    await waitFor("socat pty links", () => existsSync(this.device) && existsSync(this.board), 5000);
  }

  async unplug(): Promise<void> {
    await this.proc?.stop("SIGTERM");
    await waitFor("pty links removed", () => !existsSync(this.device), 5000);
  }
}
