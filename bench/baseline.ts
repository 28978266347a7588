import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../test/helpers/gateway.js";

/**
 * The gateway (and with `dashboard`, its dashboard) as it was at `rev`, built from git into a
 * temporary folder with this checkout's node_modules, for a baseline measured in the same run.
 * With `publishedWerift`, werift there is as published: without the patches in patches/.
 * Returns its cli.js.
 */
export function buildAt(rev: string, { dashboard = false, publishedWerift = false } = {}): string {
  const short = execFileSync("git", ["rev-parse", "--short", rev], { cwd: ROOT, encoding: "utf8" }).trim();
  const dir = join(tmpdir(), `wachter-baseline-${short}${publishedWerift ? "-werift-as-published" : ""}`);
  const cli = join(dir, "dist/gateway/cli.js");
  const index = join(dir, "dist/dashboard/index.html");
  if (existsSync(cli) && (!dashboard || existsSync(index))) return cli;
  mkdirSync(dir, { recursive: true });
  execFileSync("sh", ["-c", `git archive ${short} | tar -x -C "${dir}"`], { cwd: ROOT });
  if (!existsSync(join(dir, "node_modules"))) {
    if (publishedWerift) modulesWithPublishedWerift(dir);
    else symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  }
  const bin = (name: string) => join(ROOT, "node_modules/.bin", name);
  execFileSync(bin("tsc"), ["-p", "tsconfig.build.json"], { cwd: dir, stdio: "inherit" });
  if (dashboard) execFileSync(bin("vite"), ["build", "--config", "dashboard/vite.config.ts", "--logLevel", "warn"], { cwd: dir, stdio: "inherit" });
  return cli;
}

/** This checkout's packages linked into `dir`/node_modules, but for a copy of werift with its patches undone, newest first. */
function modulesWithPublishedWerift(dir: string): void {
  const modules = join(dir, "node_modules");
  mkdirSync(modules);
  for (const name of readdirSync(join(ROOT, "node_modules"))) if (name !== "werift") symlinkSync(join(ROOT, "node_modules", name), join(modules, name));
  cpSync(join(ROOT, "node_modules/werift"), join(modules, "werift"), { recursive: true });
  const patches = readdirSync(join(ROOT, "patches")).filter((f) => f.startsWith("werift+")).sort().reverse();
  for (const patch of patches) execFileSync("git", ["apply", "--reverse", join(ROOT, "patches", patch)], { cwd: dir });
}
