import { appendFile } from "node:fs/promises";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_TOKEN, GatewayProcess } from "../helpers/gateway.js";
import { freePort, waitFor } from "../helpers/ports.js";
import { SmallDisk } from "../helpers/smallDisk.js";
import { PtyPair } from "../helpers/socat.js";

const filesUnder = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? filesUnder(join(dir, n)) : [join(dir, n)])) : []);

interface Incident {
  id: number;
  status: string;
  cid: string | null;
  error: string | null;
}

/** dataDir on a small tmpfs of its own (needs root, as the namespace tests do). */
describe("an incident record finalised while the disk is full", () => {
  const disk = new SmallDisk();
  const dataDir = join(disk.path, "data");
  const blocksDir = join(dataDir, "incidents", "blocks");
  const pair = new PtyPair();
  let gateway: GatewayProcess;
  let base: string;
  const incidents = async () => (await (await fetch(`${base}/api/incidents`, { headers: { Authorization: `Bearer ${API_TOKEN}` } })).json()) as Incident[];
  const send = (t: number) => appendFile(pair.board, `t=${t}\n`);

  beforeAll(async () => {
    disk.mount();
    await pair.start();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    gateway = new GatewayProcess({
      dataDir,
      http: { host: "127.0.0.1", port },
      history: { flushInterval: "200ms" },
      sources: [{ id: "board", type: "serial", path: pair.device, format: { type: "kv" }, fields: { t: { channel: "press" } } }],
      alerts: { rules: [{ id: "hot", channels: ["press"], severity: "critical", when: { above: 80, clear: 75 } }] },
      incidents: { telemetry: { before: "5s", after: "2s" }, frames: { before: "1s", after: "1s" }, sound: { before: "1s", after: "1s" } },
    });
    await gateway.start();
  });

  afterAll(async () => {
    await gateway?.stop();
    await pair.unplug();
    disk.unmount();
  });

  it("leaves no partial record: no finalised row and no stray block files; with room again the next one is finalised", async () => {
    await send(20);
    await send(90);
    const [recording] = await waitFor("recording", async () => ((await incidents()).length ? incidents() : undefined), 10_000);
    expect(recording.status).toBe("recording");
    disk.fill();
    const ended = await waitFor("the record to end", async () => (await incidents()).find((i) => i.status !== "recording" || gateway.logs().some((l) => l.msg === "incident record failed")), 15_000);
    expect(ended.status).not.toBe("finalised");
    expect(ended.cid).toBeNull();
    expect(gateway.logs().find((l) => l.msg === "incident record failed")?.err).toMatch(/ENOSPC|no space/i);
    expect(filesUnder(blocksDir)).toEqual([]);

    disk.free();
    await send(70);
    await send(95);
    const finalised = await waitFor("the next record finalised", async () => (await incidents()).find((i) => i.status === "finalised"), 15_000);
    expect(finalised.cid).toMatch(/^bafybei/);
    expect(filesUnder(blocksDir).length).toBeGreaterThanOrEqual(4);
    expect(gateway.proc!.running).toBe(true);
  }, 60_000);
});
