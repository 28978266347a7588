import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import type { NetNs } from "./netns.js";
import { waitFor } from "./ports.js";
import { Proc } from "./processes.js";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** The gateway as production runs it: the JavaScript `npm run build` makes (npm test builds first). */
export const CLI = join(ROOT, "dist/gateway/cli.js");
export const ADMIN_PASSWORD = "test-admin-password-123";
export const API_TOKEN = "test-api-token-0123456789abcdefghijklmnop";

/** NODE_OPTIONS as deploy/wachter.service sets them for the gateway on a Pi. */
export function serviceNodeOptions(): string {
  const unit = readFileSync(join(ROOT, "deploy/wachter.service"), "utf8");
  const options = /^Environment="?NODE_OPTIONS=([^"\n]*)"?$/m.exec(unit)?.[1];
  if (!options) throw new Error("deploy/wachter.service sets no NODE_OPTIONS");
  return options;
}

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** The real gateway CLI as a child process, optionally inside a network namespace. */
export class GatewayProcess {
  proc: Proc | undefined;
  readonly configFile: string;

  readonly dataDir: string;
  /** The gateway's entry point: this checkout's build unless a benchmark runs another. */
  cli = CLI;
  /** Set before start(): more environment for the gateway (e.g. libfaketime's, see helpers/faketime.ts). */
  env: Record<string, string> = {};

  /** With `config` null the gateway runs its built-in demo (no --config). */
  constructor(
    config: object | null,
    private readonly ns?: NetNs,
    private readonly extraArgs: string[] = [],
    /** Flags for node itself, e.g. --cpu-prof for benchmarks. */
    private readonly nodeArgs: string[] = [],
  ) {
    const dir = mkdtempSync(join(tmpdir(), "wachter-gw-"));
    this.dataDir = join(dir, "data");
    this.configFile = config ? join(dir, "config.yaml") : "";
    if (config) writeFileSync(this.configFile, stringify({ dataDir: this.dataDir, ...config }));
  }

  async start(): Promise<void> {
    const configArgs = this.configFile ? ["--config", this.configFile] : [];
    const args = [...this.nodeArgs, this.cli, ...configArgs, "--json", ...this.extraArgs];
    const [cmd, argv] = this.ns ? this.ns.wrap(process.execPath, args) : [process.execPath, args];
    const env = { ...process.env, WACHTER_ADMIN_PASSWORD: ADMIN_PASSWORD, WACHTER_API_TOKEN: API_TOKEN, STATE_DIRECTORY: this.dataDir, ...this.env };
    const proc = new Proc(cmd, argv, { cwd: ROOT, env });
    this.proc = proc;
    await waitFor("gateway to listen", () => (!proc.running ? Promise.reject(new Error(`gateway exited: ${proc.stderr}${proc.stdout}`)) : this.logs().some((l) => l.msg.startsWith("dashboard at")) || undefined), 20_000);
  }

  /** Runs node as deploy/wachter.service does on a Pi (its NODE_OPTIONS): for benchmarks. */
  asDeployed(): this {
    this.env = { ...this.env, NODE_OPTIONS: serviceNodeOptions() };
    return this;
  }

  logs(): LogLine[] {
    return (this.proc?.stdout ?? "")
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as LogLine);
  }

  /**
   * The first log line whose message is `msg` (or matches it) and that `and` accepts, waited for:
   * the gateway's output reaches this process a little after what it did shows elsewhere (in an
   * API answer, in a browser).
   */
  logged(msg: string | RegExp, and: (l: LogLine) => boolean = () => true, timeoutMs = 5000): Promise<LogLine> {
    const is = (m: string) => (typeof msg === "string" ? m === msg : msg.test(m));
    return waitFor(`the gateway to log "${String(msg)}"`, () => this.logs().find((l) => is(l.msg) && and(l)), timeoutMs);
  }

  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    return (await this.proc?.stop(signal)) ?? null;
  }
}
