import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { API_TOKEN, CLI, GatewayProcess, ROOT } from "../helpers/gateway.js";
import { freePort, waitFor } from "../helpers/ports.js";
import { Proc } from "../helpers/processes.js";

describe("configuration reload (SIGHUP and POST /api/reload) and hangup", () => {
  let gw: GatewayProcess;
  let port: number;
  let base: object;
  const auth = () => ({ Authorization: `Bearer ${API_TOKEN}` });
  const sources = async () => ((await (await fetch(`http://127.0.0.1:${port}/api/sources`, { headers: auth() })).json()) as Array<{ id: string }>).map((s) => s.id).sort();
  const write = (cfg: object) => writeFileSync(gw.configFile, stringify({ ...base, ...cfg }));

  beforeAll(async () => {
    port = await freePort();
    gw = new GatewayProcess({ http: { host: "127.0.0.1", port }, sources: [{ id: "sim", type: "simulated", thermalFps: 0, microphone: false }] });
    await gw.start();
    base = { dataDir: (await import("yaml")).parse((await import("node:fs")).readFileSync(gw.configFile, "utf8")).dataDir, http: { host: "127.0.0.1", port } };
  });
  afterAll(() => gw.stop());

  it("SIGHUP applies a valid file source by source", async () => {
    write({ sources: [{ id: "sim", type: "simulated", thermalFps: 0, microphone: false }, { id: "board", type: "serial", path: "/dev/ttyUSB-not-plugged", format: { type: "kv" }, fields: { t: { channel: "press.t" } } }] });
    gw.proc!.child.kill("SIGHUP");
    await waitFor("board added", async () => ((await sources()).includes("board") ? true : undefined));
    const line = gw.logs().find((l) => l.msg === "configuration reloaded")!;
    expect(line).toMatchObject({ added: ["board"], unchanged: ["sim"], removed: [], restarted: [] });
  });

  it("keeps the running configuration when the new file is invalid, and says why", async () => {
    write({ sources: [{ id: "sim", type: "simulated", rateHz: "fast" }] });
    gw.proc!.child.kill("SIGHUP");
    const line = await waitFor("error logged", () => gw.logs().find((l) => String(l.msg).includes("configuration not applied")));
    expect(line.problems).toEqual([expect.stringContaining("sources[0].rateHz")]);
    expect(await sources()).toEqual(["board", "sim"]);
    expect(gw.proc!.running).toBe(true);
  });

  it("POST /api/reload reports what changed and what needs a restart", async () => {
    write({ http: { host: "127.0.0.1", port: port + 1 }, sources: [{ id: "sim", type: "simulated", thermalFps: 0, microphone: false }] });
    const res = await fetch(`http://127.0.0.1:${port}/api/reload`, { method: "POST", headers: auth() });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ removed: ["board"], unchanged: ["sim"], needsRestart: ["http"] });
    expect(await sources()).toEqual(["sim"]);
    write({ sources: "nope" });
    const bad = await fetch(`http://127.0.0.1:${port}/api/reload`, { method: "POST", headers: auth() });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { problems: string[] }).problems[0]).toMatch(/^sources: expected array/);
  });

  it("on a terminal, SIGHUP means the terminal went away: the gateway stops instead of lingering", async () => {
    const port2 = await freePort();
    const cli = `${process.execPath} ${CLI} --port ${port2}`;
    const env = { ...process.env, STATE_DIRECTORY: mkdtempSync(join(tmpdir(), "wachter-tty-")), WACHTER_ADMIN_PASSWORD: "terminal-admin-pass" };
    const term = new Proc("script", ["-qec", cli, "/dev/null"], { cwd: ROOT, env });
    try {
      await waitFor("running on a terminal", () => term.stdout.includes("wachter is running") || undefined, 20_000);
      const pid = Number(execFileSync("pgrep", ["-f", `^${process.execPath} ${CLI} --port ${port2}$`], { encoding: "utf8" }).trim());
      process.kill(pid, "SIGHUP");
      await waitFor("gateway gone", () => !existsSync(`/proc/${pid}`) || undefined, 8000);
      expect(term.stdout).toContain("stopping");
    } finally {
      await term.stop();
    }
  });
});

