import { join } from "node:path";
import { API_TOKEN, ROOT } from "./gateway.js";
import type { NetNs } from "./netns.js";
import { waitFor } from "./ports.js";
import { Proc } from "./processes.js";

/**
 * werift viewers of a gateway in a process of their own (bench/viewers.ts), inside `ns` when
 * given, driven one command at a time over stdin; each command answers with one line.
 */
export class ViewerCrowd {
  private consumed: number;

  private constructor(private readonly proc: Proc) {
    this.consumed = proc.stdout.indexOf("ready\n") + "ready\n".length;
  }

  /** `count` viewers that all receive video before this resolves (none by default: add them with join()). */
  static async start(base: string, ns?: NetNs, count = 0): Promise<ViewerCrowd> {
    const args = ["--import", "tsx", join(ROOT, "bench/viewers.ts"), base, API_TOKEN, String(count)];
    const [cmd, argv] = ns ? ns.wrap(process.execPath, args) : [process.execPath, args];
    const proc = new Proc(cmd, argv, { cwd: ROOT });
    await waitFor("the viewers' process", () => (proc.stdout.includes("ready\n") ? true : !proc.running ? Promise.reject(new Error(`viewers exited: ${proc.stderr}`)) : undefined), 90_000);
    return new ViewerCrowd(proc);
  }

  private async ask(command: string, timeoutMs = 60_000): Promise<string> {
    this.proc.child.stdin!.write(`${command}\n`);
    return waitFor(`an answer to "${command}"`, () => {
      const end = this.proc.stdout.indexOf("\n", this.consumed);
      if (end < 0) return !this.proc.running ? Promise.reject(new Error(`viewers exited: ${this.proc.stderr}`)) : undefined;
      const line = this.proc.stdout.slice(this.consumed, end);
      this.consumed = end + 1;
      return line;
    }, timeoutMs);
  }

  /** One more viewer: "joined" once it receives video, "joined without video", or "refused STATUS retry-after=SECONDS BODY". */
  join(): Promise<string> {
    return this.ask("join");
  }

  /** RTP packets each viewer has received so far. */
  async received(): Promise<number[]> {
    return JSON.parse((await this.ask("received")).slice("received ".length)) as number[];
  }

  /** A GET with the API token, sent from inside the viewers' namespace. */
  async get(path: string): Promise<{ status: number; body: string }> {
    const m = /^got (\d+) (.*)$/.exec(await this.ask(`get ${path}`))!;
    return { status: Number(m[1]), body: JSON.parse(m[2]) as string };
  }

  async stop(): Promise<void> {
    if (!this.proc.running) return;
    this.proc.child.stdin!.write("stop\n");
    const timer = setTimeout(() => this.proc.child.kill("SIGKILL"), 10_000);
    await this.proc.exited;
    clearTimeout(timer);
  }
}
