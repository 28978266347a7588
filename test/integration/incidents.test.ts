import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { CarBlockIterator, CarIndexer } from "@ipld/car";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeThermal } from "../../gateway/protocol/thermal.js";
import { API_TOKEN, GatewayProcess, ROOT } from "../helpers/gateway.js";
import { Mosquitto } from "../helpers/mosquitto.js";
import { overheatingMill } from "../helpers/overheat.js";
import { freePort, waitFor } from "../helpers/ports.js";

const VIEWER = "incidents-viewer-token-0123456789abcdefghij";
const OPERATOR = "incidents-operator-token-0123456789abcdefg";
const IPFS_CAR = join(ROOT, "node_modules/.bin/ipfs-car");
const ipfsCar = (...args: string[]) => spawnSync(IPFS_CAR, args, { encoding: "utf8", timeout: 60_000 });

interface Notification {
  event: string;
  incident?: string;
  record?: { firingAt: number; from: number; to: number; bytes: number; blocks: number };
  alert?: { id: string };
}

const filesUnder = (dir: string, top = dir): string[] =>
  readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? filesUnder(join(dir, n), top) : [relative(top, join(dir, n))]));

describe("incident records from a real gateway: overheating bearing → finalised record, CID in the API and MQTT, verifiable CAR", () => {
  const broker = new Mosquitto();
  const notifications: Notification[] = [];
  const work = mkdtempSync(join(tmpdir(), "wachter-incidents-"));
  let subscriber: MqttClient;
  let gateway: GatewayProcess;
  let base: string;
  /** The finalised record, as the first test found it (later ones run curl and ipfs-car on it). */
  let incident: { status: string; cid: string; alert: string; bytes: number; blocks: number; firingAt: number; from: number; to: number };
  const get = (path: string, token: string | null = VIEWER) => fetch(`${base}${path}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });

  beforeAll(async () => {
    await broker.start();
    subscriber = await mqtt.connectAsync(broker.url);
    subscriber.on("message", (_t, payload) => notifications.push(JSON.parse(payload.toString()) as Notification));
    await subscriber.subscribeAsync("plant/alerts", { qos: 1 });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    gateway = new GatewayProcess({
      name: "Mill 3",
      http: { host: "127.0.0.1", port },
      auth: {
        tokens: [
          { name: "viewer", token: VIEWER, role: "viewer" },
          { name: "night-shift", token: OPERATOR, role: "operator" },
        ],
      },
      ...overheatingMill(),
      notify: { mqtt: { url: broker.url, topic: "plant/alerts" } },
    });
    await gateway.start();
  }, 30_000);

  afterAll(async () => {
    await gateway?.stop();
    await subscriber?.endAsync();
    await broker.stop();
  });

  it("finalises the record after the post-roll and links it from /api/alerts and an MQTT 'incident' notification", async () => {
    incident = await waitFor(
      "a finalised incident",
      async () => ((await (await get("/api/incidents")).json()) as Array<{ status: string; cid: string; alert: string; bytes: number; blocks: number; firingAt: number; from: number; to: number }>).find((i) => i.status === "finalised"),
      40_000,
      250,
    );
    expect(incident.alert).toBe("hot~spindle.bearing");
    expect(incident.cid).toMatch(/^bafybei[a-z2-7]+$/);
    expect(incident.to - incident.firingAt).toBe(3000);
    expect(incident.firingAt - incident.from).toBe(20_000);

    const alerts = (await (await get("/api/alerts")).json()) as Array<{ id: string; incident: string | null }>;
    expect(alerts.find((a) => a.id === "hot~spindle.bearing")?.incident).toBe(incident.cid);

    const note = await waitFor("the MQTT incident notification", () => notifications.find((n) => n.event === "incident"), 10_000);
    expect(note).toMatchObject({ incident: incident.cid, alert: { id: "hot~spindle.bearing" }, record: { firingAt: incident.firingAt, bytes: incident.bytes, blocks: incident.blocks } });
    const firing = notifications.find((n) => n.event === "firing");
    expect(firing).toBeDefined();
    expect(firing!.incident).toBeUndefined();

    const finalised = gateway.logs().find((l) => l.msg === "incident record finalised");
    console.log(`incident: ${incident.bytes} bytes, ${incident.blocks} blocks, ${finalised?.files} files, assembled in ${finalised?.ms} ms`);
  }, 60_000);

  it("answers the manifest, and 400 for a malformed CID, 404 for one it does not hold, 401 without credentials", async () => {
    const res = await get(`/api/incidents/${incident.cid}`);
    expect(res.status).toBe(200);
    const { manifest } = (await res.json()) as { manifest: { format: string; gateway: { name: string; version: string }; telemetry: { channels: Array<{ id: string; unit: string }> }; cameras: { list: Array<{ frames: unknown[] }> }; microphones: { list: Array<{ clip: { file: string } | null }> } } };
    expect(manifest.format).toBe("wachter-incident/1");
    expect(manifest.gateway).toEqual({ name: "Mill 3", version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(manifest.telemetry.channels.find((c) => c.id === "spindle.bearing")?.unit).toBe("°C");
    expect(manifest.telemetry.channels.map((c) => c.id)).toEqual(expect.arrayContaining(["motor.winding", "coolant", "gearbox.oil", "ambient"]));
    expect(manifest.cameras.list[0].frames.length).toBeGreaterThanOrEqual(4);
    expect(manifest.cameras.list[0].frames.length).toBeLessThanOrEqual(6);
    expect(manifest.microphones.list[0].clip?.file).toBe("sound/sim.opus");

    expect((await get("/api/incidents/not-a-cid")).status).toBe(400);
    expect((await get("/api/incidents/QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG.car")).status).toBe(400);
    expect((await get("/api/incidents/bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku")).status).toBe(404);
    expect((await get("/api/incidents/bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku.car")).status).toBe(404);
    expect((await get("/api/incidents", null)).status).toBe(401);
  });

  it("exports a CAR that ipfs-car unpacks and verifies, rejects with one byte changed, and packs back to the same root CID", async () => {
    const res = await get(`/api/incidents/${incident.cid}.car`, API_TOKEN);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/vnd.ipld.car; version=1");
    const car = Buffer.from(await res.arrayBuffer());
    const carFile = join(work, "incident.car");
    writeFileSync(carFile, car);

    expect(ipfsCar("roots", carFile).stdout.trim()).toBe(incident.cid);
    const out = join(work, "unpacked");
    const unpack = ipfsCar("unpack", carFile, "--output", out);
    expect(unpack.stderr).toBe("");
    expect(unpack.status).toBe(0);
    const files = filesUnder(out).sort();
    expect(files).toEqual(expect.arrayContaining(["alert.json", "manifest.json", "sound/sim.opus", "sound/sim.spectrum.json", "sound/sim.spectrogram.png", "stills/sim.png", "telemetry/spindle.bearing.csv", "frames/sim/0000.thermal"]));
    for (const png of ["stills/sim.png", "sound/sim.spectrogram.png"]) {
      const still = spawnSync("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", join(out, png)], { encoding: "utf8" });
      expect(still.stdout.trim(), png).toMatch(/^png,\d+,\d+$/);
    }
    const stillInfo = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")).cameras.list[0].still;
    expect(stillInfo).toMatchObject({ file: "stills/sim.png", palette: "ironbow" });
    expect(Math.abs(stillInfo.ts - incident.firingAt)).toBeLessThanOrEqual(1500);

    const alert = JSON.parse(readFileSync(join(out, "alert.json"), "utf8"));
    expect(alert.rule.when).toEqual({ above: 65, clear: 60 });
    expect(alert.events.map((e: { to_state: string }) => e.to_state)).toContain("firing");
    const csv = readFileSync(join(out, "telemetry/spindle.bearing.csv"), "utf8").trim().split("\n");
    expect(csv[0]).toBe("time,mean,min,max");
    expect(Math.max(...csv.slice(1).map((r) => Number(r.split(",")[1])))).toBeGreaterThan(65);
    const frame = decodeThermal(new Uint8Array(readFileSync(join(out, "frames/sim/0000.thermal"))).buffer);
    expect(frame).toMatchObject({ camera: "sim", width: 32, height: 24 });
    const probe = spawnSync("ffprobe", ["-v", "error", "-show_entries", "format=duration:stream=codec_name,sample_rate", "-of", "json", join(out, "sound/sim.opus")], { encoding: "utf8" });
    expect(probe.status).toBe(0);
    const info = JSON.parse(probe.stdout);
    expect(info.streams[0]).toMatchObject({ codec_name: "opus", sample_rate: "48000" });
    expect(Number(info.format.duration)).toBeGreaterThan(3.5);
    expect(Number(info.format.duration)).toBeLessThan(4.3);

    // Another UnixFS implementation, the same files: the same root.
    const packed = join(work, "repacked.car");
    expect(ipfsCar("pack", out, "--no-wrap", "--output", packed).status).toBe(0);
    expect(ipfsCar("roots", packed).stdout.trim()).toBe(incident.cid);

    // One byte changed in the middle of the largest block.
    const blocks = [];
    for await (const b of await CarIndexer.fromBytes(car)) blocks.push(b);
    const victim = blocks.sort((a, b) => b.blockLength - a.blockLength)[0];
    const tampered = Buffer.from(car);
    tampered[victim.blockOffset + Math.floor(victim.blockLength / 2)] ^= 0x01;
    const tamperedFile = join(work, "tampered.car");
    writeFileSync(tamperedFile, tampered);
    const bad = ipfsCar("unpack", tamperedFile, "--output", join(work, "tampered"));
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/hash|mismatch/i);
  }, 60_000);

  it("answers as an IPFS trustless gateway: raw blocks and CARs by dag-scope, checked with curl", async () => {
    const curl = (path: string, ...args: string[]) => {
      const file = join(work, `curl-${Math.random().toString(36).slice(2)}`);
      const anonymous = args[0] === "--anonymous";
      const auth = anonymous ? [] : ["-H", `Authorization: Bearer ${VIEWER}`];
      if (anonymous) args.shift();
      const r = spawnSync("curl", ["-s", "-o", file, "-D", "-", ...auth, ...args, `${base}${path}`], { encoding: "utf8" });
      const [status, ...lines] = r.stdout.trim().split(/\r?\n/);
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]));
      return { status: Number(status.split(" ")[1]), headers, body: existsSync(file) ? readFileSync(file) : Buffer.alloc(0) };
    };
    const carBlocks = async (body: Buffer) => {
      const reader = await CarBlockIterator.fromBytes(body);
      const blocks: string[] = [];
      for await (const b of reader) {
        expect((await sha256.digest(b.bytes)).digest).toEqual(b.cid.multihash.digest);
        blocks.push(b.cid.toString());
      }
      return { roots: (await reader.getRoots()).map(String), blocks };
    };

    const rawRoot = curl(`/ipfs/${incident.cid}`, "-H", "Accept: application/vnd.ipld.raw");
    expect(rawRoot.status).toBe(200);
    expect(rawRoot.headers["content-type"]).toBe("application/vnd.ipld.raw");
    expect(rawRoot.headers["etag"]).toBe(`"${incident.cid}.raw"`);
    expect(rawRoot.headers["x-content-type-options"]).toBe("nosniff");
    expect(rawRoot.headers["cache-control"]).toContain("immutable");
    expect((await sha256.digest(rawRoot.body)).digest).toEqual(CID.parse(incident.cid).multihash.digest);
    expect(curl(`/ipfs/${incident.cid}?format=raw`, "-H", `If-None-Match: "${incident.cid}.raw"`).status).toBe(304);
    const head = curl(`/ipfs/${incident.cid}?format=raw`, "-I");
    expect(head.status).toBe(200);
    expect(head.headers["etag"]).toBe(`"${incident.cid}.raw"`);
    expect(head.headers["content-length"]).toBe(String(rawRoot.body.length));

    const all = curl(`/ipfs/${incident.cid}?format=car`);
    expect(all.status).toBe(200);
    expect(all.headers["content-type"]).toBe("application/vnd.ipld.car; version=1; order=dfs; dups=n");
    expect(all.headers["content-disposition"]).toBe(`attachment; filename="${incident.cid}.car"`);
    const everything = await carBlocks(all.body);
    expect(everything.roots).toEqual([incident.cid]);
    expect(everything.blocks).toHaveLength(incident.blocks);
    expect((await carBlocks(curl(`/ipfs/${incident.cid}`, "-H", "Accept: application/vnd.ipld.car").body)).blocks).toHaveLength(incident.blocks);
    const block = curl(`/ipfs/${incident.cid}?format=car&dag-scope=block`);
    expect((await carBlocks(block.body)).blocks).toEqual([incident.cid]);
    expect(block.headers["etag"]).not.toBe(all.headers["etag"]);
    // A file below two directories: both directory blocks come along, so the path can be verified.
    const file = await carBlocks(curl(`/ipfs/${incident.cid}/telemetry/spindle.bearing.csv?format=car&dag-scope=entity`).body);
    expect(file.blocks).toHaveLength(3);
    expect(file.blocks[0]).toBe(incident.cid);

    expect(curl(`/ipfs/bafkqaaa?format=raw`)).toMatchObject({ status: 200, body: Buffer.alloc(0) });
    expect(curl(`/ipfs/${incident.cid}`, "-H", "Accept:").status).toBe(400); // neither format= nor Accept
    expect(curl(`/ipfs/${incident.cid}`).status).toBe(406); // curl's Accept: */*
    expect(curl(`/ipfs/${incident.cid}`, "-H", "Accept: text/html").status).toBe(406);
    expect(curl(`/ipfs/not-a-cid?format=raw`).status).toBe(400);
    expect(curl(`/ipfs/${incident.cid}/manifest.json?format=raw`).status).toBe(400);
    expect(curl(`/ipfs/${incident.cid}?format=car&dag-scope=everything`).status).toBe(400);
    expect(curl(`/ipfs/${incident.cid}/manifest.json?format=car&dag-scope=entity&entity-bytes=99999999:*`).status).toBe(400);
    expect(curl(`/ipfs/bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku?format=raw`).status).toBe(404);
    expect(curl(`/ipfs/${incident.cid}/no-such-file?format=car`).status).toBe(404);
    expect(curl(`/ipfs/${incident.cid}/%2E%2E/etc/passwd?format=car`).status).toBe(404);
    expect(curl(`/ipfs/${incident.cid}?format=raw`, "--anonymous").status).toBe(401);
  }, 30_000);

  it("makes version 2 when the firing is acknowledged after the record: the first kept whole inside it, linked, announced and verifiable", async () => {
    const ack = await fetch(`${base}/api/alerts/${encodeURIComponent(incident.alert)}/ack`, { method: "POST", headers: { Authorization: `Bearer ${API_TOKEN}`, "Content-Type": "application/json" }, body: JSON.stringify({ note: "bearing greased" }) });
    expect(ack.status).toBe(200);
    type Row = typeof incident & { version: number; previous: string | null };
    const v2 = await waitFor("version 2", async () => ((await (await get("/api/incidents")).json()) as Row[]).find((i) => i.version === 2), 15_000, 250);
    expect(v2).toMatchObject({ status: "finalised", alert: incident.alert, firingAt: incident.firingAt, previous: incident.cid });
    expect(v2.cid).not.toBe(incident.cid);
    const alerts = (await (await get("/api/alerts")).json()) as Array<{ id: string; incident: string | null }>;
    expect(alerts.find((a) => a.id === incident.alert)?.incident).toBe(v2.cid);
    const note = await waitFor("the MQTT notification of version 2", () => notifications.find((n) => n.event === "incident" && n.incident === v2.cid), 10_000);
    expect(note.record).toMatchObject({ version: 2, previous: incident.cid });

    const carFile = join(work, "v2.car");
    writeFileSync(carFile, Buffer.from(await (await get(`/api/incidents/${v2.cid}.car`)).arrayBuffer()));
    const out = join(work, "v2");
    const unpack = ipfsCar("unpack", carFile, "--output", out);
    expect(unpack.status, unpack.stderr).toBe(0);
    const alert = JSON.parse(readFileSync(join(out, "alert.json"), "utf8"));
    expect(alert.events.map((e: { to_state: string }) => e.to_state)).toEqual(expect.arrayContaining(["firing", "acknowledged"]));
    expect(alert.events.find((e: { to_state: string; detail: string }) => e.to_state === "acknowledged").detail).toContain("bearing greased");
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
    expect(manifest).toMatchObject({ version: 2, previous: incident.cid, alertFile: "alert.json" });
    expect(manifest.cameras.list[0].frames[0].file).toMatch(/^previous\/frames\/sim\/\d{4}\.thermal$/);
    for (const f of [manifest.telemetry.channels[0].file, manifest.cameras.list[0].still.file, manifest.microphones.list[0].clip.file]) expect(existsSync(join(out, f)), f).toBe(true);
    // The first version, unchanged, under previous/: packed on its own it is the first CID again.
    const packed = join(work, "v1-again.car");
    expect(ipfsCar("pack", join(out, "previous"), "--no-wrap", "--output", packed).status).toBe(0);
    expect(ipfsCar("roots", packed).stdout.trim()).toBe(incident.cid);
    expect((await get(`/api/incidents/${incident.cid}.car`)).status).toBe(200);
  }, 60_000);

  it("pins the firing's records, every version, for an operator (the first pin's author kept) and unpins them; refuses viewers, bad and unknown CIDs", async () => {
    const pin = (cid: string, method: "PUT" | "DELETE", token = OPERATOR) => fetch(`${base}/api/incidents/${cid}/pin`, { method, headers: { Authorization: `Bearer ${token}` } });
    type Row = { cid: string; alert: string; firingAt: number; version: number; pinnedBy: string | null; pinnedAt: number | null };
    const firing = async () => ((await (await get("/api/incidents")).json()) as Row[]).filter((r) => r.alert === incident.alert && r.firingAt === incident.firingAt);
    expect((await pin(incident.cid, "PUT", VIEWER)).status).toBe(403);
    expect((await pin("bafy-not-a-cid", "PUT")).status).toBe(400);
    expect((await pin("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", "PUT")).status).toBe(404);
    expect((await firing()).every((r) => r.pinnedBy === null)).toBe(true);

    const before = Date.now();
    const pinned = await pin(incident.cid, "PUT");
    expect(pinned.status).toBe(200);
    expect(await pinned.json()).toMatchObject({ cid: incident.cid, pinnedBy: "night-shift" });
    const rows = await firing();
    expect(rows.map((r) => r.version).sort()).toEqual([1, 2]);
    for (const r of rows) expect(r.pinnedAt).toBeGreaterThanOrEqual(before);
    expect(rows.every((r) => r.pinnedBy === "night-shift")).toBe(true);
    const newest = rows.find((r) => r.version === 2)!;
    expect(await (await pin(newest.cid, "PUT", API_TOKEN)).json()).toMatchObject({ pinnedBy: "night-shift" });
    await gateway.logged("incident record pinned", (l) => l.by === "night-shift" && l.cid === incident.cid);

    const unpinned = await pin(newest.cid, "DELETE");
    expect(unpinned.status).toBe(200);
    expect((await firing()).every((r) => r.pinnedBy === null && r.pinnedAt === null)).toBe(true);
  });

  it("follows the firing again after a restart: its end makes the next version", async () => {
    type Row = typeof incident & { version: number; previous: string | null };
    const v2 = ((await (await get("/api/incidents")).json()) as Row[]).find((i) => i.version === 2)!;
    await gateway.stop();
    // The simulated machine starts cold again, so the alert, still firing as stored, resolves.
    await gateway.start();
    const v3 = await waitFor("version 3 after the restart", async () => ((await (await get("/api/incidents")).json()) as Row[]).find((i) => i.version === 3), 30_000, 250);
    expect(v3).toMatchObject({ status: "finalised", alert: incident.alert, firingAt: incident.firingAt, previous: v2.cid });
    await gateway.logged("incident record followed again after a restart");
    const carFile = join(work, "v3.car");
    writeFileSync(carFile, Buffer.from(await (await get(`/api/incidents/${v3.cid}.car`)).arrayBuffer()));
    const out = join(work, "v3");
    expect(ipfsCar("unpack", carFile, "--output", out).status).toBe(0);
    const states = JSON.parse(readFileSync(join(out, "alert.json"), "utf8")).events.map((e: { to_state: string }) => e.to_state);
    expect(states).toEqual(expect.arrayContaining(["firing", "acknowledged", "resolved"]));
    expect(states.indexOf("resolved")).toBeGreaterThan(states.indexOf("acknowledged"));
  }, 60_000);
});
