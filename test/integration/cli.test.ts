import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { API_TOKEN, CLI, GatewayProcess, ROOT } from "../helpers/gateway.js";
import { freePort } from "../helpers/ports.js";
import { SOURCE_KINDS, typeOf } from "../../sensors/index.js";

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...env }, timeout: 30_000 });
}

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "wachter-cli-")), "config.yaml");
  writeFileSync(path, text);
  return path;
}

describe("command line", () => {
  const invalid = file(`
sources:
  - id: board
    type: serial
    path: /dev/ttyUSB0
    baudRate: fast
    format: { type: csv }
    fields: { t1: { channel: spindle.bearing } }
  - { id: x, type: profibus }
`);

  it("exits 2 and lists every problem when the configuration is invalid", () => {
    const run = cli(["--config", invalid]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('sources[0].baudRate: expected one of 9600…921600, got "fast"');
    expect(run.stderr).toContain(`sources[1].type: expected one of ${SOURCE_KINDS.map((k) => `"${typeOf(k)}"`).join(", ")}, got "profibus"`);
  });

  it("check-config validates without starting", () => {
    expect(cli(["check-config", invalid]).status).toBe(2);
    const ok = cli(["check-config", join(ROOT, "deploy/examples/serial-board.yaml")]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain("OK (1 source(s): board [serial])");
    const missing = cli(["check-config", "/nonexistent/wachter.yaml"]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("cannot read the file");
  });

  it("rejects a bad port from the environment or the command line with status 2", () => {
    expect(cli([], { PORT: "eighty" }).stderr).toContain('PORT: expected a port number 1…65535, got "eighty"');
    expect(cli(["--port", "70000"]).status).toBe(2);
  });

  it("serves the API on the configured port and stops cleanly on SIGTERM", async () => {
    const port = await freePort();
    const gw = new GatewayProcess({ http: { host: "127.0.0.1", port }, sources: [{ id: "sim", type: "simulated", rateHz: 10 }] });
    await gw.start();
    try {
      const auth = { Authorization: `Bearer ${API_TOKEN}` };
      expect((await fetch(`http://127.0.0.1:${port}/api/channels`)).status).toBe(401);
      const channels = (await (await fetch(`http://127.0.0.1:${port}/api/channels`, { headers: auth })).json()) as Array<{ id: string }>;
      expect(channels.map((c) => c.id)).toContain("spindle.bearing");
      const bad = await fetch(`http://127.0.0.1:${port}/whep`, { method: "POST", headers: { ...auth, "Content-Type": "application/sdp" }, body: "v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n" });
      expect(bad.status).toBe(400);
      const tooBig = await fetch(`http://127.0.0.1:${port}/whep`, { method: "POST", headers: { ...auth, "Content-Type": "application/sdp" }, body: `v=0\r\n${"a=x\r\n".repeat(20_000)}` });
      expect(tooBig.status).toBe(413);
      const wrongType = await fetch(`http://127.0.0.1:${port}/whep`, { method: "POST", headers: { ...auth, "Content-Type": "application/json" }, body: "{}" });
      expect(wrongType.status).toBe(415);
      expect((await fetch(`http://127.0.0.1:${port}/whep/sessions/nope`, { method: "DELETE", headers: auth })).status).toBe(404);
    } finally {
      const started = Date.now();
      expect(await gw.stop()).toBe(0);
      expect(Date.now() - started).toBeLessThan(5000);
    }
  });
});
