import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../test/helpers/gateway.js";

/**
 * The gateway (and with `dashboard`, its dashboard) as it was at `rev`, built from git into a
 * temporary folder with this checkout's node_modules, for a baseline measured in the same run.
 * Returns its cli.js.
 */
export function buildAt(rev: string, { dashboard = false } = {}): string {
  const short = execFileSync("git", ["rev-parse", "--short", rev], { cwd: ROOT, encoding: "utf8" }).trim();
  const dir = join(tmpdir(), `wachter-baseline-${short}`);
  const cli = join(dir, "dist/gateway/cli.js");
  const index = join(dir, "dist/dashboard/index.html");
  if (existsSync(cli) && (!dashboard || existsSync(index))) return cli;
  mkdirSync(dir, { recursive: true });
  execFileSync("sh", ["-c", `git archive ${short} | tar -x -C "${dir}"`], { cwd: ROOT });
  if (!existsSync(join(dir, "node_modules"))) symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  const bin = (name: string) => join(ROOT, "node_modules/.bin", name);
  execFileSync(bin("tsc"), ["-p", "tsconfig.build.json"], { cwd: dir, stdio: "inherit" });
  if (dashboard) execFileSync(bin("vite"), ["build", "--config", "dashboard/vite.config.ts", "--logLevel", "warn"], { cwd: dir, stdio: "inherit" });
  return cli;
}
