import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { readFileSync } from "node:fs";

const running = new Set<ChildProcess>();
// A harness that is itself stopped must not leave gateways, brokers or ptys behind.
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** A child process whose output is kept for assertions and whose end can be awaited. */
export class Proc {
  readonly child: ChildProcess;
  stdout = "";
  stderr = "";
  readonly exited: Promise<number | null>;

  constructor(command: string, args: string[], options: SpawnOptions = {}) {
    this.child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"], ...options });
    running.add(this.child);
    this.child.on("exit", () => running.delete(this.child));
    this.child.stdout?.on("data", (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr?.on("data", (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => this.child.on("exit", (code, signal) => resolve(code ?? (signal ? -1 : null))));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(signal: NodeJS.Signals = "SIGTERM", graceMs = 5000): Promise<number | null> {
    if (!this.running) return this.exited;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

/** Bytes a process has read through read(2) and the like (sockets included), and its resident memory now and at its peak (Linux). */
export function processIo(pid: number): { readBytes: number; rssBytes: number; peakRssBytes: number } {
  const readBytes = Number(/^rchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, "utf8"))![1]);
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status)![1]) * 1024;
  return { readBytes, rssBytes: kb("VmRSS"), peakRssBytes: kb("VmHWM") };
}
