import { execFile } from "node:child_process";
import { promisify } from "node:util";

/** One line of `wachter doctor`: what was found, how good that is, and what to do about it. */
export interface Finding {
  section: string;
  mark: "ok" | "warn" | "fail" | "info";
  text: string;
  fix?: string;
}

const run = promisify(execFile);

/** Runs a diagnostic tool (never a shell); undefined when it is not installed. */
export async function tool(cmd: string, args: string[]): Promise<{ out: string; err: string } | undefined> {
  try {
    const { stdout, stderr } = await run(cmd, args, { timeout: 10_000, maxBuffer: 4 * 1024 * 1024 });
    return { out: stdout, err: stderr };
  } catch (err) {
    const e = err as { code?: string; stdout?: string; stderr?: string };
    if (e.code === "ENOENT") return undefined;
    return { out: e.stdout ?? "", err: e.stderr ?? "" };
  }
}
