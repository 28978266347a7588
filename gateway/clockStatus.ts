import { execFile } from "node:child_process";
import { access } from "node:fs/promises";
import { dirname } from "node:path";
import { JumpDetector, systemClock, type Clock, type ClockJump } from "../common/clock.js";
import type { Logger } from "../common/logger.js";
import type { ClockStatusMsg } from "./protocol/status.js";

/**
 * systemd-timesyncd touches this file once the clock is synchronised. Its directory is the
 * service's RuntimeDirectory: it exists while timesyncd runs, and then the file alone decides.
 */
export const TIMESYNC_FILE = "/run/systemd/timesync/synchronized";

/**
 * Spawning `timedatectl` forks the gateway, which stalls its event loop for milliseconds. Only a
 * system without timesyncd (chrony, ntpd) needs it, and there it is asked at most this often.
 */
export const TIMEDATECTL_EVERY_MS = 60_000;

export interface ClockWatchOptions {
  /** systemd-timesyncd's file (tests point it elsewhere); without its directory, `timedatectl` decides. */
  syncFile?: string;
  /** The `timedatectl` command to run (tests give a script); it also knows chrony's and ntpd's verdict through the kernel. */
  timedatectlCommand?: string;
  checkEveryMs?: number;
  clock?: Clock;
  onJump?: (jump: ClockJump) => void;
}

/**
 * Whether the gateway's wall clock can be believed: synchronised or not, and every jump it made
 * while the gateway ran (logged once each, counted for metrics).
 */
export class ClockWatch {
  private synchronized: boolean | null = null;
  private via: ClockStatusMsg["via"] = "none";
  private lastJump: ClockJump | null = null;
  jumps = 0;
  private timer: NodeJS.Timeout | undefined;
  /** When `timedatectl` was last asked (monotonic ms), its answer then, and whether it is not installed at all. */
  private timedatectlAskedAt = -Infinity;
  private timedatectlAnswer: [boolean | null, ClockStatusMsg["via"]] = [null, "none"];
  private timedatectlMissing = false;
  private readonly detector: JumpDetector;
  private readonly clock: Clock;

  constructor(
    private readonly log: Logger,
    private readonly options: ClockWatchOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.detector = new JumpDetector(this.clock);
  }

  async start(): Promise<void> {
    await this.refresh();
    let n = 0;
    const every = this.options.checkEveryMs ?? 1000;
    this.timer = setInterval(() => {
      this.checkJump();
      // The synchronisation state changes rarely: look every ten checks.
      if (++n % 10 === 0) void this.refresh();
    }, every);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  status(): ClockStatusMsg {
    this.checkJump();
    return { synchronized: this.synchronized, via: this.via, now: this.clock.wall(), jumps: this.jumps, lastJump: this.lastJump };
  }

  async refresh(): Promise<void> {
    const [synchronized, via] = await this.ask();
    if (synchronized !== this.synchronized) {
      if (synchronized === false) this.log.warn({ via }, "the gateway's clock is not synchronised: times may be wrong until NTP is reached");
      else if (synchronized === true && this.synchronized === false) this.log.info({ via }, "the gateway's clock is synchronised");
    }
    this.synchronized = synchronized;
    this.via = via;
  }

  private checkJump(): void {
    const jump = this.detector.check();
    if (!jump) return;
    this.jumps++;
    this.lastJump = jump;
    this.log.warn({ deltaMs: jump.deltaMs, now: new Date(jump.at).toISOString() }, `the gateway's wall clock jumped ${jump.deltaMs > 0 ? "forward" : "back"} by ${describe(Math.abs(jump.deltaMs))}`);
    this.options.onJump?.(jump);
  }

  private async ask(): Promise<[boolean | null, ClockStatusMsg["via"]]> {
    const file = this.options.syncFile ?? TIMESYNC_FILE;
    if (await exists(file)) return [true, "timesyncd"];
    if (await exists(dirname(file))) return [false, "timesyncd"];
    if (this.timedatectlMissing || this.clock.mono() - this.timedatectlAskedAt < TIMEDATECTL_EVERY_MS) return this.timedatectlAnswer;
    this.timedatectlAskedAt = this.clock.mono();
    const answer = await timedatectl(this.options.timedatectlCommand ?? "timedatectl");
    if (answer === "missing") this.timedatectlMissing = true;
    this.timedatectlAnswer = typeof answer === "boolean" ? [answer, "timedatectl"] : [null, "none"];
    return this.timedatectlAnswer;
  }
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** `timedatectl show -p NTPSynchronized --value`: "yes" or "no"; "missing" if not installed, undefined on any other failure (no systemd, a timeout). */
function timedatectl(command: string): Promise<boolean | undefined | "missing"> {
  return new Promise((resolve) => {
    execFile(command, ["show", "-p", "NTPSynchronized", "--value"], { timeout: 2000 }, (err, stdout) => {
      if ((err as NodeJS.ErrnoException | null)?.code === "ENOENT") return resolve("missing");
      const v = stdout.trim();
      resolve(err || (v !== "yes" && v !== "no") ? undefined : v === "yes");
    });
  });
}

function describe(ms: number): string {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return h ? `${h} h ${m} min` : m ? `${m} min ${s} s` : `${s} s`;
}
