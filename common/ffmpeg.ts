import { spawn, type ChildProcess } from "node:child_process";
import type { Writable } from "node:stream";
import { Backoff } from "./backoff.js";
import type { Logger } from "./logger.js";
import { systemClock } from "./clock.js";

export interface FfmpegOptions {
  /** Give ffmpeg a stdin pipe (for frames or samples the gateway writes). */
  stdin?: boolean;
  /**
   * Restart ffmpeg when it has written nothing for this long although it still runs (a wedged
   * USB camera or sound card): the exit reason then says so.
   */
  stallMs?: number;
}

export interface FfmpegEvents {
  started?(): void;
  stdout?(chunk: Buffer): void;
  /** The process ended on its own; it will be restarted. `reason` ends with ffmpeg's last error line. */
  exited?(reason: string): void;
}

const live = new Set<ChildProcess>();
const restartCounts = new Map<string, number>();

/** Restarts per supervised ffmpeg (by name) since the gateway started, for metrics. */
export function ffmpegRestarts(): ReadonlyMap<string, number> {
  return restartCounts;
}
let exitHookInstalled = false;

/** Last line of defence against orphans: whatever is still running dies with the gateway. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of live) child.kill("SIGKILL");
  });
}

/**
 * An ffmpeg child with a fixed argument list (never a shell), restarted with capped backoff
 * when it exits or stalls, and ended with SIGTERM then SIGKILL on stop. Keeps the tail of stderr
 * for error messages. If the gateway dies hard, ffmpeg still ends: its stdout or stdin pipe breaks.
 */
export class SupervisedFfmpeg {
  private child: ChildProcess | undefined;
  private timer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private stopped = true;
  private startedAt = 0;
  private lastOutputAt = 0;
  private killedFor: string | undefined;
  private stderrTail = "";
  private readonly backoff = new Backoff(1000, 30_000);

  constructor(
    readonly name: string,
    private readonly args: string[],
    private readonly events: FfmpegEvents,
    private readonly log: Logger,
    private readonly options: FfmpegOptions = {},
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  start(): void {
    installExitHook();
    this.stopped = false;
    this.spawn();
    const stallMs = this.options.stallMs;
    if (stallMs) {
      this.watchdog = setInterval(() => {
        if (this.child && !this.killedFor && systemClock.mono() - this.lastOutputAt > stallMs) {
          this.killedFor = `no output for ${(stallMs / 1000).toFixed(0)} s`;
          this.log.warn({ ffmpeg: this.name, reason: this.killedFor }, "restarting ffmpeg");
          this.child.kill("SIGKILL");
        }
      }, 1000);
    }
  }

  /** Writes to stdin; false (and nothing written) when ffmpeg is not keeping up or not running. */
  write(data: Buffer): boolean {
    const stdin = this.child?.stdin as Writable | null | undefined;
    if (!stdin || stdin.destroyed || stdin.writableNeedDrain) return false;
    stdin.write(data);
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.watchdog);
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.stdin?.end();
    child.kill("SIGTERM");
    const kill = setTimeout(() => child.kill("SIGKILL"), 2000);
    await exited;
    clearTimeout(kill);
  }

  private spawn(): void {
    const child = spawn("ffmpeg", this.args, { stdio: [this.options.stdin ? "pipe" : "ignore", "pipe", "pipe"] });
    this.child = child;
    live.add(child);
    this.startedAt = systemClock.mono();
    this.lastOutputAt = this.startedAt;
    this.killedFor = undefined;
    this.stderrTail = "";
    child.stdin?.on("error", () => {});
    child.stdout!.on("data", (chunk: Buffer) => {
      this.lastOutputAt = systemClock.mono();
      this.events.stdout?.(chunk);
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-2000);
    });
    child.on("error", (err) => {
      this.log.error({ ffmpeg: this.name, err: err.message }, err.message.includes("ENOENT") ? "ffmpeg is not installed (apt install ffmpeg)" : "cannot start ffmpeg");
    });
    child.on("exit", (code, signal) => {
      live.delete(child);
      if (this.child === child) this.child = undefined;
      if (this.stopped) return;
      if (systemClock.mono() - this.startedAt > 10_000) this.backoff.reset();
      const delay = this.backoff.next();
      const lastError = this.stderrTail.trim().split("\n").at(-1) ?? "";
      const reason = this.killedFor
        ? `ffmpeg ${this.name} restarted: ${this.killedFor}`
        : `ffmpeg ${this.name} exited (${signal ?? `code ${code}`})${lastError ? `: ${lastError}` : ""}`;
      this.log.warn({ ffmpeg: this.name, retryInMs: delay }, reason);
      this.events.exited?.(reason);
      restartCounts.set(this.name, (restartCounts.get(this.name) ?? 0) + 1);
      this.timer = setTimeout(() => this.spawn(), delay);
    });
    child.once("spawn", () => this.events.started?.());
  }
}
