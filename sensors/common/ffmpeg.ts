import { spawn, type ChildProcess } from "node:child_process";
import type { Writable } from "node:stream";
import { Backoff } from "./backoff.js";
import type { Logger } from "../types.js";

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
 * when it exits, and ended with SIGTERM then SIGKILL on stop. Keeps the tail of stderr for
 * error messages. If the gateway dies hard, ffmpeg still ends: its stdout or stdin pipe breaks.
 */
export class SupervisedFfmpeg {
  private child: ChildProcess | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private startedAt = 0;
  private stderrTail = "";
  private readonly backoff = new Backoff(1000, 30_000);
  restarts = 0;

  constructor(
    readonly name: string,
    private readonly args: string[],
    private readonly events: FfmpegEvents,
    private readonly log: Logger,
    private readonly withStdin = false,
    private readonly binary = "ffmpeg",
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
  }

  /** Writes to stdin; false (and nothing written) when ffmpeg is not keeping up or not running. */
  write(data: Buffer): boolean {
    const stdin = this.child?.stdin as Writable | null | undefined;
    if (!stdin || stdin.destroyed || stdin.writableNeedDrain) return false;
    stdin.write(data);
    return true;
  }

  /** Ends this run; the supervisor starts a fresh one (e.g. when the input stalled). */
  restart(reason: string): void {
    this.log.warn({ ffmpeg: this.name, reason }, "restarting ffmpeg");
    this.child?.kill("SIGKILL");
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
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
    const child = spawn(this.binary, this.args, { stdio: [this.withStdin ? "pipe" : "ignore", "pipe", "pipe"] });
    this.child = child;
    live.add(child);
    this.startedAt = Date.now();
    this.stderrTail = "";
    child.stdin?.on("error", () => {});
    child.stdout!.on("data", (chunk: Buffer) => this.events.stdout?.(chunk));
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
      if (Date.now() - this.startedAt > 10_000) this.backoff.reset();
      const delay = this.backoff.next();
      const lastError = this.stderrTail.trim().split("\n").at(-1) ?? "";
      const reason = `ffmpeg ${this.name} exited (${signal ?? `code ${code}`})${lastError ? `: ${lastError}` : ""}`;
      this.log.warn({ ffmpeg: this.name, retryInMs: delay }, reason);
      this.events.exited?.(reason);
      this.restarts++;
      restartCounts.set(this.name, (restartCounts.get(this.name) ?? 0) + 1);
      this.timer = setTimeout(() => this.spawn(), delay);
    });
    child.once("spawn", () => this.events.started?.());
  }
}
