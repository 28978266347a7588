import { execFileSync } from "node:child_process";
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A small tmpfs of its own (needs root, as the namespace tests do), to be filled to the last byte. */
export class SmallDisk {
  readonly path = mkdtempSync(join(tmpdir(), "wachter-full-"));
  private filler: string | undefined;

  mount(size = "4m"): void {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", this.path]);
  }

  /** Fills what is left with one file, as a growing log or core dump would. */
  fill(): void {
    this.filler = join(this.path, "filler");
    const chunk = Buffer.alloc(64 * 1024);
    for (let size = chunk.length; size >= 512; size /= 2) {
      try {
        for (;;) appendFileSync(this.filler, chunk.subarray(0, size));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
      }
    }
  }

  free(): void {
    if (this.filler) rmSync(this.filler);
    this.filler = undefined;
  }

  df(): string {
    return execFileSync("df", ["-k", this.path], { encoding: "utf8" });
  }

  unmount(): void {
    execFileSync("umount", ["-l", this.path]);
  }
}
