import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, ROOT } from "../helpers/gateway.js";

const install = (...args: string[]) => spawnSync("bash", [join(ROOT, "deploy/install.sh"), ...args], { encoding: "utf8", timeout: 120_000 });

function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = `${statSync(p).mode.toString(8)} ${createHash("sha256").update(readFileSync(p)).digest("hex")} ${statSync(p).mtimeMs}`;
    }
  };
  walk(dir);
  return out;
}

describe("installer and service unit", () => {
  it("pass ShellCheck and systemd-analyze verify", () => {
    execFileSync("shellcheck", ["-x", ...["deploy/install.sh", "deploy/quickstart.sh", "deploy/test-deps.sh", "deploy/node-version.sh", "deploy/arm64-check.sh", ".ci/run", ".ci/node24.sh"].map((f) => join(ROOT, f))], { cwd: ROOT });
    const root = mkdtempSync(join(tmpdir(), "wachter-root-"));
    expect(install("--root", root).status).toBe(0);
    const verify = spawnSync("systemd-analyze", ["verify", "--man=no", join(root, "etc/systemd/system/wachter.service")], { encoding: "utf8" });
    expect(verify.stderr).toBe("");
    expect(verify.status).toBe(0);
  });

  it("on a Raspberry Pi without the 1-Wire overlay, says which line enables it", () => {
    const root = mkdtempSync(join(tmpdir(), "wachter-root-"));
    mkdirSync(join(root, "boot/firmware"), { recursive: true });
    writeFileSync(join(root, "boot/firmware/config.txt"), "[all]\ndtparam=audio=on\n");
    expect(install("--root", root).stdout).toContain("add dtoverlay=w1-gpio (,gpiopin=N for another pin than GPIO 4) to /boot/firmware/config.txt");
    writeFileSync(join(root, "boot/firmware/config.txt"), "[all]\ndtoverlay=w1-gpio\n");
    expect(install("--root", root).stdout).not.toContain("dtoverlay");
  });

  it("places every file, is idempotent, keeps an edited configuration, and uninstalls keeping data", () => {
    const root = mkdtempSync(join(tmpdir(), "wachter-root-"));
    const first = install("--root", root);
    expect(first.status, first.stderr).toBe(0);

    for (const f of ["opt/wachter/dist/gateway/cli.js", "opt/wachter/package-lock.json", "opt/wachter/dist/dashboard/index.html", "opt/wachter/dist/sensors/index.js", "opt/wachter/deploy/examples/simulated.yaml", "opt/wachter/patches/werift+0.25.2+001+ice-waits-for-peer-reflexive.patch", "opt/wachter/patches/werift+0.25.2+002+native-ecdhe.patch", "opt/wachter/patches/@serialport+bindings-cpp+13.0.0+001+hangup-waits-for-poller.patch"]) expect(existsSync(join(root, f)), f).toBe(true);
    expect(existsSync(join(root, "opt/wachter/node_modules"))).toBe(false);
    const unit = readFileSync(join(root, "etc/systemd/system/wachter.service"), "utf8");
    expect(unit).toMatch(/^ExecStart=\/\S*node \/opt\/wachter\/dist\/gateway\/cli\.js --config \/etc\/wachter\/config\.yaml --json$/m);
    for (const f of ["opt/wachter/gateway", "opt/wachter/sensors", "opt/wachter/dashboard", "opt/wachter/tsconfig.json"]) expect(existsSync(join(root, f)), `${f} is a source, not installed`).toBe(false);
    for (const line of ["NoNewPrivileges=yes", "ProtectSystem=strict", "ReadWritePaths=/var/lib/wachter", "PrivateTmp=yes", "DeviceAllow=char-ttyUSB rw", "DeviceAllow=char-video4linux rw", "DeviceAllow=char-alsa rw", "Restart=on-failure", "User=wachter"]) {
      expect(unit).toContain(line);
    }
    expect(readFileSync(join(root, "etc/udev/rules.d/99-wachter.rules"), "utf8")).toContain("wachter-thermal");
    expect((statSync(join(root, "etc/wachter/env")).mode & 0o777).toString(8)).toBe("600");
    expect((statSync(join(root, "var/lib/wachter")).mode & 0o777).toString(8)).toBe("750");
    const check = spawnSync(process.execPath, [CLI, "check-config", join(root, "etc/wachter/config.yaml")], { cwd: ROOT, encoding: "utf8" });
    expect(check.status, check.stderr).toBe(0);

    const before = tree(root);
    expect(install("--root", root).status).toBe(0);
    expect(tree(root)).toEqual(before);

    appendFileSync(join(root, "etc/wachter/config.yaml"), "# edited by the installer of this plant\n");
    expect(install("--root", root).stdout).toContain("kept the existing /etc/wachter/config.yaml");
    expect(readFileSync(join(root, "etc/wachter/config.yaml"), "utf8")).toContain("edited by the installer");

    expect(install("--root", root, "--uninstall").status).toBe(0);
    expect(existsSync(join(root, "opt/wachter"))).toBe(false);
    expect(existsSync(join(root, "etc/systemd/system/wachter.service"))).toBe(false);
    expect(existsSync(join(root, "etc/wachter/config.yaml"))).toBe(true);
    expect(existsSync(join(root, "var/lib/wachter"))).toBe(true);
    expect(install("--root", root, "--uninstall", "--purge").status).toBe(0);
    expect(existsSync(join(root, "etc/wachter"))).toBe(false);
    expect(existsSync(join(root, "var/lib/wachter"))).toBe(false);
  });

  it("--dry-run changes nothing", () => {
    const root = mkdtempSync(join(tmpdir(), "wachter-root-"));
    const run = install("--root", root, "--dry-run");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("would install");
    expect(readdirSync(root)).toEqual([]);
  });
});
