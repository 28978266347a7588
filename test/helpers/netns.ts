import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Proc } from "./processes.js";
import { waitFor } from "./ports.js";

/**
 * A private network namespace for one test file: loopback plus a veth pair (named lan0/lan1,
 * since werift ignores interfaces called veth*) with a default route, which Chromium needs
 * before it gathers candidates. Nothing in it can reach any other network; it disappears when
 * the holder process ends.
 */
export class NetNs {
  private constructor(
    private readonly holder: Proc,
    readonly pid: number,
    private readonly dir: string,
  ) {}

  /** Shell commands that set up the namespace's links, for `unshare --net -- sh -c`. */
  static setupScript(subnet: number): string {
    const a = Math.floor(subnet / 1000) % 256;
    const b = subnet % 1000 % 256;
    return [
      "ip link set lo up",
      "ip link add lan0 type veth peer name lan1",
      `ip addr add ${a}.${b}.0.1/24 dev lan0`,
      `ip addr add ${a}.${b}.0.2/24 dev lan1`,
      "ip link set lan0 up",
      "ip link set lan1 up",
      `ip route add default via ${a}.${b}.0.2`,
    ].join(" && ");
  }

  static async create(subnet = 10_203): Promise<NetNs> {
    return NetNs.start(NetNs.setupScript(subnet));
  }

  /** A namespace with only loopback up: its caller adds the links (see helpers/badLink.ts). */
  static async bare(): Promise<NetNs> {
    return NetNs.start("ip link set lo up");
  }

  private static async start(links: string): Promise<NetNs> {
    const setup = `${links} && echo ready && exec sleep 3600`;
    const holder = new Proc("unshare", ["--net", "--", "sh", "-c", setup]);
    try {
      await waitFor("network namespace", () => holder.stdout.includes("ready") || (!holder.running ? "dead" : undefined), 5000);
    } catch (err) {
      throw new Error(`cannot create a network namespace (needs root or user namespaces): ${holder.stderr || (err as Error).message}`);
    }
    if (!holder.running) throw new Error(`cannot create a network namespace (needs root): ${holder.stderr.trim()}`);
    return new NetNs(holder, holder.child.pid!, mkdtempSync(join(tmpdir(), "wachter-ns-")));
  }

  /** Command and arguments that run `command` inside the namespace. */
  wrap(command: string, args: string[]): [string, string[]] {
    return ["nsenter", ["-t", String(this.pid), "-n", "--", command, ...args]];
  }

  /** The namespace's file, for setns(2). */
  get path(): string {
    return `/proc/${this.pid}/ns/net`;
  }

  /** Runs a shell script inside the namespace (ip, tc, nft); rejects with its stderr if it fails. */
  exec(script: string, input?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = execFile("nsenter", ["-t", String(this.pid), "-n", "--", "sh", "-c", script], (err, stdout, stderr) => (err ? reject(new Error(`${script}: ${stderr.trim() || err.message}`)) : resolve(stdout)));
      if (input !== undefined) child.stdin!.end(input);
    });
  }

  /** An executable that starts Chromium inside the namespace, for playwright's executablePath. */
  chromiumLauncher(chromium = "/usr/bin/chromium"): string {
    const path = join(this.dir, "chromium-in-netns");
    writeFileSync(path, `#!/bin/sh\nexec nsenter -t ${this.pid} -n -- ${chromium} "$@"\n`);
    chmodSync(path, 0o755);
    return path;
  }

  async destroy(): Promise<void> {
    await this.holder.stop("SIGKILL");
  }
}
