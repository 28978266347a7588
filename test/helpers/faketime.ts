import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const LIBRARY = ["/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1", "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1"].find((p) => existsSync(p));

/**
 * libfaketime (Debian's `faketime`) under a process: its wall clock is offset by what the test writes
 * into a file, while the process runs, as NTP or a person setting the clock would move it. The
 * monotonic clock is left alone (FAKETIME_DONT_FAKE_MONOTONIC), as it is when the clock is set.
 */
export class FakeWallClock {
  readonly file = join(mkdtempSync(join(tmpdir(), "wachter-faketime-")), "offset");

  constructor() {
    if (!LIBRARY) throw new Error("libfaketime not found: apt-get install faketime (deploy/test-deps.sh installs it)");
    this.set(0);
  }

  /** The environment that puts a process under this clock. */
  env(): Record<string, string> {
    // The offset is read again at most once a second, so a jump takes effect within a second.
    return { LD_PRELOAD: LIBRARY!, FAKETIME_TIMESTAMP_FILE: this.file, FAKETIME_DONT_FAKE_MONOTONIC: "1", FAKETIME_CACHE_DURATION: "1" };
  }

  /** Offsets the wall clock from the real time by `ms` (from now on). */
  set(ms: number): void {
    writeFileSync(this.file, `${ms >= 0 ? "+" : ""}${Math.round(ms / 1000)}s\n`);
  }
}
