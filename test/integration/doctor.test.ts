import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { CLI, ROOT } from "../helpers/gateway.js";
import { PtyPair } from "../helpers/socat.js";

function doctor(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, "doctor", ...args], { cwd: ROOT });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("exit", (code) => resolve({ code, out }));
  });
}

describe("wachter doctor", () => {
  it("reports this machine's tools and devices with clear messages, and never crashes on missing ones", async () => {
    const { code, out } = await doctor([]);
    expect(out).toMatch(/^system$/m);
    expect(out).toMatch(/✓ Node\.js \d+/);
    expect(out).toMatch(/✓ ffmpeg encoder libvpx/);
    expect(out).toMatch(/^serial$/m);
    expect(out).toMatch(/^microphones$/m);
    expect(out).toMatch(/^cameras$/m);
    expect(code).toBe(0);
  });

  it("tries each configured source: a live tty board works, a missing one gets the fix", async () => {
    const pair = new PtyPair();
    await pair.start();
    const feeding = setInterval(() => void pair.send("t=21.5\n"), 100);
    const file = join(mkdtempSync(join(tmpdir(), "wachter-doctor-")), "c.yaml");
    writeFileSync(
      file,
      stringify({
        sources: [
          { id: "board", type: "serial", path: pair.device, format: { type: "kv" }, fields: { t: { channel: "press.t" } } },
          { id: "gone", type: "serial", path: "/dev/serial/by-id/usb-not-there", format: { type: "kv" }, fields: { t: { channel: "x.t" } } },
        ],
      }),
    );
    try {
      const { code, out } = await doctor(["--config", file, "--seconds", "2"]);
      expect(out).toMatch(/✓ board: up .* [1-9]\d* readings, 0 rejected in 2 s; e\.g\. press\.t = 21\.5/);
      expect(out).toMatch(/✗ gone: down \(\/dev\/serial\/by-id\/usb-not-there not found: is the board plugged in\?/);
      expect(out).toContain("fix: check the device");
      expect(code).toBe(1);
    } finally {
      clearInterval(feeding);
      await pair.unplug();
    }
  });
});
