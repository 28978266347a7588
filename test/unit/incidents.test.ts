import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CarBlockIterator } from "@ipld/car";
import * as dagPb from "@ipld/dag-pb";
import { describe, expect, it } from "vitest";
import { ruleSchema } from "../../gateway/alerts/schema.js";
import { ContentStore, importFiles, parseCid } from "../../gateway/incidents/contentStore.js";
import { IncidentStore } from "../../gateway/incidents/incidentStore.js";
import { oggCrc, oggOpus, opusSamples, parseRtp } from "../../gateway/incidents/oggOpus.js";
import { IncidentRecorder } from "../../gateway/incidents/recorder.js";
import { buildRecord, nextVersion, safeName, telemetryCsv, type IncidentInputs } from "../../gateway/incidents/record.js";
import { drawPicture } from "../../gateway/incidents/pictures.js";
import { incidentsSchema } from "../../gateway/incidents/schema.js";
import { TimedRing } from "../../gateway/incidents/timedRing.js";
import { carBlocks, carRequest, resolvePath, responseFormat, TrustlessError } from "../../gateway/incidents/trustless.js";
import { encodeThermal } from "../../gateway/protocol/thermal.js";
import { openDatabase } from "../../gateway/storage/db.js";

const T = Date.UTC(2026, 11, 1, 3, 12, 0);

function rtp(seq: number, timestamp: number, payload: number[], ssrc = 0x1234): Uint8Array {
  const p = new Uint8Array(12 + payload.length);
  const v = new DataView(p.buffer);
  p[0] = 0x80;
  p[1] = 111;
  v.setUint16(2, seq);
  v.setUint32(4, timestamp);
  v.setUint32(8, ssrc);
  p.set(payload, 12);
  return p;
}

function inputs(overrides: Partial<IncidentInputs> = {}): IncidentInputs {
  const channel = (id: string) => ({ id, name: id, unit: "°C", source: "mill", staleAfterMs: 5000 });
  const series = (info: ReturnType<typeof channel>, base: number) => {
    const points = Array.from({ length: 60 }, (_, i) => ({ t: T - 30_000 + i * 1000, mean: base + i / 10, min: base, max: base + i / 5 }));
    return { info, points: points.length, csv: telemetryCsv(points) };
  };
  const frame = (i: number) => ({ ts: T - 5000 + i * 1000, seq: i, bytes: new Uint8Array(10_000).fill(i + 1) });
  return {
    gateway: { name: "Mill 3", version: "0.1.0" },
    alert: { id: "hot~bearing", rule: "hot", channel: "bearing", name: "Bearing hot", severity: "critical", description: "Bearing hot: 81 °C", value: 81, unit: "°C", labels: {}, firingSince: T },
    rule: ruleSchema.parse({ id: "hot", channels: ["bearing"], severity: "critical", when: { above: 80, clear: 75 } }),
    firingAt: T,
    events: [{ from_state: "normal", to_state: "firing", at: T, value: 81, detail: "Bearing hot: 81 °C" }],
    telemetry: { window: { from: T - 30_000, to: T + 30_000 }, step: 1000, channels: [series(channel("bearing"), 70), series(channel("motor"), 50)] },
    cameras: { window: { from: T - 5000, to: T + 5000 }, interval: 1000, list: [{ info: { id: "cam", name: "Spindle", source: "mill", width: 32, height: 24, rois: [], staleAfterMs: 2000 }, frames: Array.from({ length: 11 }, (_, i) => frame(i)) }] },
    microphones: {
      window: { from: T - 1000, to: T + 1000 },
      list: [{ info: { id: "mic", name: "Spindle mic", source: "mill", staleAfterMs: 5000 }, packets: Array.from({ length: 100 }, (_, i) => ({ at: T - 1000 + i * 20, packet: rtp(i, i * 960, [0x78, i, 1, 2, 3]) })), spectrum: [{ ts: T, maxHz: 8000, bins: new Uint8Array([0, 128, 255]) }] }],
    },
    maxBytes: 8 * 1024 * 1024,
    ...overrides,
  };
}

describe("incident records", () => {
  it("the same inputs give the same root CID; one changed byte gives another", async () => {
    const a = await importFiles((await buildRecord(inputs())).files);
    const b = await importFiles((await buildRecord(inputs())).files);
    expect(a.root.toString()).toBe(b.root.toString());
    expect(a.root.toString()).toMatch(/^bafybei/);
    const changed = inputs();
    changed.cameras.list[0].frames[3].bytes[17] ^= 1;
    expect((await importFiles((await buildRecord(changed)).files)).root.toString()).not.toBe(a.root.toString());
  });

  it("lists every file in the manifest, with units, times and the gateway", async () => {
    const { files, manifest } = await buildRecord(inputs());
    const paths = files.map((f) => f.path);
    expect(paths.slice(0, 2)).toEqual(["manifest.json", "alert.json"]);
    expect(paths).toContain("telemetry/bearing.csv");
    expect(paths).toContain("telemetry/motor.csv");
    expect(paths).toContain("sound/mic.opus");
    expect(paths).toContain("sound/mic.spectrum.json");
    expect(paths.filter((p) => p.startsWith("frames/cam/"))).toHaveLength(11);
    const m = JSON.parse(new TextDecoder().decode(files[0].content));
    expect(m).toEqual(JSON.parse(JSON.stringify(manifest)));
    expect(m.gateway).toEqual({ name: "Mill 3", version: "0.1.0" });
    expect(m.telemetry.channels.map((c: { id: string; unit: string }) => [c.id, c.unit])).toEqual([["bearing", "°C"], ["motor", "°C"]]);
    expect(m.cameras.list[0].frames[5]).toEqual({ file: "frames/cam/0005.thermal", ts: T, seq: 5 });
    expect(m.microphones.list[0].clip).toMatchObject({ file: "sound/mic.opus", packets: 100 });
    expect(m.omitted).toEqual([]);
    const csv = new TextDecoder().decode(files.find((f) => f.path === "telemetry/bearing.csv")!.content).split("\n");
    expect(csv[0]).toBe("time,mean,min,max");
    expect(csv[1]).toBe(`${new Date(T - 30_000).toISOString()},70,70,70`);
  });

  it("over the size cap, leaves out the frames farthest from the moment first and says so", async () => {
    const full = await buildRecord(inputs());
    const total = (fs: typeof full.files) => fs.reduce((n, f) => n + f.content.length, 0);
    // Room for 7 of the 11 frames of 10 000 bytes, the manifest aside (it has an allowance of its own).
    const maxBytes = total(full.files) - full.files[0].content.length + 64 * 1024 - 40_000;
    const { files, manifest } = await buildRecord(inputs({ maxBytes }));
    expect(total(files)).toBeLessThanOrEqual(maxBytes);
    const frames = (manifest as { cameras: { list: Array<{ frames: Array<{ ts: number }> }> } }).cameras.list[0].frames.map((f) => f.ts - T);
    expect(frames).toEqual([-3000, -2000, -1000, 0, 1000, 2000, 3000]);
    expect((manifest as { omitted: string[] }).omitted).toEqual(["4 of 11 frames farthest from the moment the alert fired (size cap)"]);
  });

  it("leaves out a picture that cannot be drawn, says so the same way whatever the error, and keeps the rest", async () => {
    const celsius = new Float32Array(32 * 24).map((_, i) => 20 + (i % 30));
    const frame = (i: number) => ({ ts: T - 5000 + i * 1000, seq: i, bytes: encodeThermal({ camera: "cam", width: 32, height: 24, seq: i, ts: T - 5000 + i * 1000, min: 20, max: 49, mean: 34.5, hotX: 29, hotY: 0, celsius }) });
    const decodable = () => {
      const x = inputs();
      x.cameras.list[0].frames = Array.from({ length: 11 }, (_, i) => frame(i));
      return x;
    };
    const whole = await buildRecord(decodable());
    expect(whole.manifest.cameras.list[0].still).toMatchObject({ file: "stills/cam.png" });
    const failing = (kind: string) => async (job: { kind: string }) => {
      if (job.kind === kind) throw new Error(`${Math.random()}`);
      return drawPicture(job as never);
    };
    const a = await buildRecord(decodable(), failing("still"));
    expect(a.manifest.omitted).toEqual(["still of cam (could not be drawn)"]);
    expect(a.manifest.cameras.list[0].still).toBeNull();
    expect(a.manifest.cameras.list[0].frames).toHaveLength(11);
    expect(a.files.map((f) => f.path)).toEqual(whole.files.map((f) => f.path).filter((p) => p !== "stills/cam.png"));
    const b = await buildRecord(decodable(), failing("spectrogram"));
    expect(b.manifest.omitted).toEqual(["spectrogram of mic (could not be drawn)"]);
    expect(b.manifest.microphones.list[0].spectrogram).toBeNull();
    // Another error, the same record.
    const again = await buildRecord(decodable(), failing("spectrogram"));
    expect((await importFiles(again.files)).root.toString()).toBe((await importFiles(b.files)).root.toString());
  });

  it("names files so that no id can climb out of its folder", () => {
    expect(safeName("mic.spindle:left")).toBe("mic.spindle%3Aleft");
    expect(safeName("..")).toBe("%2E.");
    expect(safeName(".hidden")).toBe("%2Ehidden");
    expect(safeName("a/b")).toBe("a%2Fb");
  });

  it("accepts only CIDv1 sha2-256 dag-pb or raw CIDs", () => {
    expect(parseCid("bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi")?.toString()).toBe("bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi");
    expect(parseCid("QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG")).toBeUndefined();
    expect(parseCid("bafy-not-a-cid")).toBeUndefined();
    expect(parseCid("../../etc/passwd")).toBeUndefined();
  });
});

describe("incident blockstore and CAR export", () => {
  it("stores a record, exports every block once in a CAR, and notices a damaged block", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wachter-blocks-"));
    const content = new ContentStore(dir);
    await content.open();
    const { files } = await buildRecord(inputs());
    const { root, blocks } = await importFiles(files);
    await content.put(blocks, async () => {});
    const manifest = await content.readFile(root, "manifest.json");
    expect(new TextDecoder().decode(manifest)).toBe(new TextDecoder().decode(files[0].content));
    const chunks: Uint8Array[] = [];
    for await (const c of content.car(root, (err) => chunks.push(new TextEncoder().encode(`error: ${err.message}`)))) chunks.push(c);
    const car = await CarBlockIterator.fromBytes(Buffer.concat(chunks));
    expect((await car.getRoots()).map(String)).toEqual([root.toString()]);
    const seen: string[] = [];
    for await (const b of car) seen.push(b.cid.toString());
    expect(seen[0]).toBe(root.toString());
    expect(new Set(seen)).toEqual(new Set(blocks.map((b) => b.cid.toString())));
    expect(seen).toHaveLength(new Set(seen).size);

    const blockFiles = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? blockFiles(join(d, n)) : [join(d, n)]));
    const victim = blockFiles(dir).find((f) => statSync(f).size === 10_000)!;
    const bytes = readFileSync(victim);
    bytes[100] ^= 0xff;
    writeFileSync(victim, bytes);
    await expect(async () => {
      for await (const _ of content.walk(root)) void _;
    }).rejects.toThrow(/does not match its CID/);
    await content.close();
  });

  it("reads a file back whole when a chunk of it repeats (a block stored once, read twice)", async () => {
    const content = new ContentStore(mkdtempSync(join(tmpdir(), "wachter-blocks-")));
    await content.open();
    const chunk = Uint8Array.from({ length: 1024 * 1024 }, (_, i) => i % 253);
    const repeated = Buffer.concat([chunk, chunk, Buffer.from("end")]);
    const { root, blocks } = await importFiles([{ path: "sound/mic.opus", content: repeated }, { path: "manifest.json", content: new TextEncoder().encode("{}") }]);
    await content.put(blocks, async () => {});
    const [file] = (await content.readTree(root)).filter((f) => f.path === "sound/mic.opus");
    expect(Buffer.from(file.content).equals(repeated)).toBe(true);
    await content.close();
  });

  it("a later version holds the one before whole as previous/, whose CID it keeps, and reads back from the blockstore", async () => {
    const content = new ContentStore(mkdtempSync(join(tmpdir(), "wachter-blocks-")));
    await content.open();
    const v1 = await importFiles((await buildRecord(inputs())).files);
    await content.put(v1.blocks, async () => {});
    const read = await content.readTree(v1.root);
    expect(read.map((f) => f.path).sort()).toEqual((await buildRecord(inputs())).files.map((f) => f.path).sort());
    const acked = { from_state: "firing", to_state: "acknowledged", at: T + 60_000, value: 82, detail: "acknowledged by anna: greased" };
    const events = [...inputs().events, acked];
    const { files, manifest } = nextVersion({ cid: v1.root.toString(), files: read }, events);
    const v2 = await importFiles(files);
    const root = dagPb.decode(v2.blocks.find((b) => b.cid.equals(v2.root))!.bytes);
    expect(root.Links.map((l) => l.Name)).toEqual(["alert.json", "manifest.json", "previous"]);
    expect(root.Links[2].Hash.toString()).toBe(v1.root.toString());
    expect(manifest).toMatchObject({ version: 2, previous: v1.root.toString(), alertFile: "alert.json" });
    const paths = new Set(files.map((f) => f.path));
    const named = [...manifest.telemetry.channels.map((c) => c.file), ...manifest.cameras.list.flatMap((c) => c.frames.map((f) => f.file)), ...manifest.microphones.list.flatMap((m) => [m.clip?.file, m.spectrum, m.spectrogram])];
    for (const f of named) if (f) expect(paths.has(f), f).toBe(true);
    expect(named.every((f) => !f || f.startsWith("previous/"))).toBe(true);
    const alert = JSON.parse(new TextDecoder().decode(files.find((f) => f.path === "alert.json")!.content));
    expect(alert.events.at(-1)).toEqual(acked);
    expect(alert.rule.when).toEqual({ above: 80, clear: 75 });
    // Version 3 links to version 2, which still links to version 1.
    const v3 = nextVersion({ cid: v2.root.toString(), files }, [...events, { ...acked, to_state: "resolved", at: T + 90_000 }]);
    expect(v3.manifest).toMatchObject({ version: 3, previous: v2.root.toString() });
    expect(v3.manifest.telemetry.channels[0].file).toMatch(/^previous\/previous\/telemetry\//);
    await content.close();
  });
});

describe("trustless gateway responses", () => {
  it("picks the format from format= before Accept, and refuses what it cannot answer", () => {
    expect(responseFormat("car", "application/vnd.ipld.raw")).toBe("car");
    expect(responseFormat(undefined, "text/html, application/vnd.ipld.car; version=1; order=dfs")).toBe("car");
    expect(responseFormat(undefined, "application/vnd.ipld.raw")).toBe("raw");
    expect(() => responseFormat(undefined, undefined)).toThrow(TrustlessError);
    expect(() => responseFormat(undefined, "application/vnd.ipld.car; version=2")).toThrow(/Accept/);
    expect(() => responseFormat("tar", undefined)).toThrow(/format=tar/);
    expect(carRequest(undefined, undefined)).toEqual({ scope: "all" });
    expect(carRequest("entity", "-100:*")).toEqual({ scope: "entity", bytes: { from: -100, to: undefined } });
    expect(() => carRequest("entity", "1-2")).toThrow(/entity-bytes/);
    expect(() => carRequest("some", undefined)).toThrow(/dag-scope/);
  });

  it("sends only the leaves that hold the entity-bytes asked for", async () => {
    const content = new ContentStore(mkdtempSync(join(tmpdir(), "wachter-blocks-")));
    await content.open();
    const MiB = 1024 * 1024;
    let seed = 7;
    const big = new Uint8Array(2.5 * MiB).map(() => (seed = (seed * 48271) % 2147483647) & 0xff);
    const { root, blocks } = await importFiles([{ path: "big.bin", content: big }, { path: "small.txt", content: new TextEncoder().encode("hi") }]);
    await content.put(blocks, async () => {});
    const resolved = await resolvePath(content, root, ["big.bin"]);
    const leaves = dagPb.decode(resolved.terminal.bytes).Links.map((l) => l.Hash.toString());
    expect(leaves).toHaveLength(3);
    const sent = async (bytes: string | undefined, scope = "entity") => {
      const out: string[] = [];
      for await (const b of await carBlocks(content, resolved, carRequest(scope, bytes))) out.push(b.cid.toString());
      return out;
    };
    const [dir, file] = [root.toString(), resolved.terminal.cid.toString()];
    expect(await sent("0:99")).toEqual([dir, file, leaves[0]]);
    expect(await sent("-100:*")).toEqual([dir, file, leaves[2]]);
    expect(await sent(`${MiB - 1}:${MiB}`)).toEqual([dir, file, leaves[0], leaves[1]]);
    expect(await sent(undefined)).toEqual([dir, file, ...leaves]);
    expect(await sent(undefined, "block")).toEqual([dir, file]);
    await expect(sent(`${3 * MiB}:*`)).rejects.toThrow(/outside/);
    await expect(resolvePath(content, root, ["big.bin", "x"])).rejects.toThrow(/in a file/);
    await expect(resolvePath(content, root, [".."])).rejects.toThrow(/no "\.\." in this directory/);
    await content.close();
  });
});

describe("incident table", () => {
  it("deletes by age and disk budget, oldest first, never one still recording, and keeps shared blocks", () => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), "wachter-inc-")), "w.db"));
    const store = new IncidentStore(db);
    const ids = [0, 1, 2, 3].map((i) => store.begin("hot~bearing", T + i * 1000, T - 1000, T + 1000));
    store.finalise(ids[0], "bafy0", 600, ["b-shared", "b0"], T);
    store.finalise(ids[1], "bafy1", 600, ["b-shared", "b1"], T);
    store.finalise(ids[2], "bafy2", 600, ["b2"], T);
    expect(store.expired(T, 10_000)).toEqual([]);
    expect(store.expired(T + 1500, 10_000).map((r) => r.id)).toEqual([ids[0], ids[1]]);
    expect(store.expired(T, 1000).map((r) => r.id)).toEqual([ids[0], ids[1]]);
    expect(store.delete(ids[0])).toEqual(["b0"]);
    expect(store.delete(ids[1])!.sort()).toEqual(["b-shared", "b1"]);
    expect(store.cidFor("hot~bearing", T + 2000)).toBe("bafy2");
    expect(store.cidFor("hot~bearing", T + 3000)).toBeNull();
    expect(store.failUnfinished()).toBe(1);
    expect(store.list().map((r) => r.status)).toEqual(["failed", "finalised"]);
  });

  it("keeps a firing's versions together: the newest is what cidFor gives, and they are deleted with it, counted once", () => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), "wachter-inc-")), "w.db"));
    const store = new IncidentStore(db);
    const first = store.begin("hot~bearing", T, T - 1000, T + 1000);
    store.finalise(first, "bafy1", 600, ["b1", "b2"], T);
    const v2 = store.addVersion(store.byId(first)!, { cid: "bafy2", bytes: 700, blocks: ["b1", "b2", "b3"], at: T + 5000 });
    expect(v2).toMatchObject({ version: 2, previous: "bafy1", alert: "hot~bearing", firingAt: T, status: "finalised", bytes: 700, blocks: 3 });
    const later = store.begin("hot~bearing", T + 10_000, T + 9000, T + 11_000);
    store.finalise(later, "bafy3", 600, ["b4"], T);
    expect(store.cidFor("hot~bearing", T)).toBe("bafy2");
    // The first firing takes 700 bytes (its newest version), not 1300: with 1300 allowed nothing goes.
    expect(store.expired(T - 1, 1300)).toEqual([]);
    expect(store.expired(T - 1, 1299).map((r) => r.cid)).toEqual(["bafy1", "bafy2"]);
    expect(store.expired(T + 1, 10_000).map((r) => r.cid)).toEqual(["bafy1", "bafy2"]);
    expect(store.delete(first)).toEqual([]);
    expect(store.delete(v2.id)!.sort()).toEqual(["b1", "b2", "b3"]);
  });

  it("keeps a pinned firing (every version) past its age and the disk budget, whose bytes still count; unpinned, it goes again", () => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), "wachter-inc-")), "w.db"));
    const store = new IncidentStore(db);
    const first = store.begin("hot~bearing", T, T - 1000, T + 1000);
    store.finalise(first, "bafy1", 600, ["b1"], T);
    const v2 = store.addVersion(store.byId(first)!, { cid: "bafy2", bytes: 700, blocks: ["b1", "b2"], at: T + 5000 });
    const later = store.begin("hot~bearing", T + 10_000, T + 9000, T + 11_000);
    store.finalise(later, "bafy3", 600, ["b3"], T);
    store.setPinned(store.byId(first)!, "anna", T + 20_000);
    store.setPinned(v2, "bert", T + 30_000);
    expect(store.list().map((r) => [r.cid, r.pinnedBy, r.pinnedAt])).toEqual([
      ["bafy3", null, null],
      ["bafy2", "anna", T + 20_000],
      ["bafy1", "anna", T + 20_000],
    ]);
    expect(store.pinnedBytes()).toBe(700);
    // Past its age and over the budget, the pinned firing stays, and the newer unpinned one goes in its place.
    expect(store.expired(T + 5000, 10_000)).toEqual([]);
    expect(store.expired(T + 20_000, 10_000).map((r) => r.cid)).toEqual(["bafy3"]);
    expect(store.expired(T - 1, 1000).map((r) => r.cid)).toEqual(["bafy3"]);
    expect(store.expired(T - 1, 100).map((r) => r.cid)).toEqual(["bafy3"]);
    store.setPinned(v2, null, T + 40_000);
    expect(store.pinnedBytes()).toBe(0);
    const chosen = store.expired(T + 5000, 10_000);
    expect(chosen.map((r) => r.cid)).toEqual(["bafy1", "bafy2"]);
    // Pinned while retention works through its list: that firing's rows stay.
    store.setPinned(v2, "anna", T + 50_000);
    expect(chosen.map((r) => store.delete(r.id))).toEqual([undefined, undefined]);
    expect(store.list().map((r) => r.cid)).toEqual(["bafy3", "bafy2", "bafy1"]);
  });

  it("lets pins take half the disk budget unless told otherwise, and never all of it", () => {
    expect(incidentsSchema.parse({}).maxPinnedBytes).toBe(512 * 1024 * 1024);
    expect(incidentsSchema.parse({ maxDiskBytes: 4 * 1024 * 1024, maxPinnedBytes: 0 }).maxPinnedBytes).toBe(0);
    const tooMuch = incidentsSchema.safeParse({ maxDiskBytes: 4 * 1024 * 1024, maxPinnedBytes: 5 * 1024 * 1024 });
    expect(tooMuch.success).toBe(false);
    expect(tooMuch.error?.issues[0]).toMatchObject({ path: ["maxPinnedBytes"], message: "maxPinnedBytes must be less than maxDiskBytes, or pins would leave no room for new records" });
    expect(incidentsSchema.safeParse({ maxDiskBytes: 4 * 1024 * 1024, maxPinnedBytes: 4 * 1024 * 1024 }).success).toBe(false);
  });
});

describe("pre-roll ring", () => {
  it("keeps its span and byte budget, and starts afresh when the clock goes back", () => {
    const ring = new TimedRing<number>(10_000, 500);
    for (let i = 0; i <= 20; i++) ring.push(i * 1000, i, 10);
    expect(ring.range(0, Infinity).map((x) => x.item)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    for (let i = 21; i <= 30; i++) ring.push(i * 1000, i, 100);
    expect(ring.byteSize).toBeLessThanOrEqual(500);
    expect(ring.range(0, Infinity).map((x) => x.item)).toEqual([26, 27, 28, 29, 30]);
    expect(ring.range(27_000, 28_000).map((x) => x.item)).toEqual([27, 28]);
    ring.push(5000, 99, 1);
    expect(ring.range(0, Infinity).map((x) => x.item)).toEqual([99]);
  });
});

describe("Ogg/Opus from RTP", () => {
  it("reads RTP headers with CSRCs and extensions, and Opus frame sizes", () => {
    const p = rtp(7, 960, [0, 0, 0, 1, 0xaa, 0xbb, 0xcc, 0xdd, 0x78, 9]);
    p[0] = 0x90; // extension: profile 0, one word
    expect(parseRtp(p)).toMatchObject({ seq: 7, timestamp: 960, ssrc: 0x1234, payload: new Uint8Array([0x78, 9]) });
    expect(opusSamples(new Uint8Array([0x78]))).toBe(960); // CELT FB 20 ms, one frame
    expect(opusSamples(new Uint8Array([0x79]))).toBe(1920); // two frames
    expect(opusSamples(new Uint8Array([0x1b, 0x83]))).toBe(3 * 2880); // SILK 60 ms, three frames
    expect(parseRtp(new Uint8Array(5))).toBeUndefined();
  });

  it("writes pages whose CRCs check, with the stream's granule positions", () => {
    const ogg = oggOpus([...Array.from({ length: 300 }, (_, i) => rtp(i, i * 960, [0x78, ...new Array(i % 300).fill(i & 0xff)])), rtp(0, 0, [0x78, 1], 0x9999)])!;
    const pages: Array<{ type: number; granule: bigint; segments: number }> = [];
    for (let o = 0; o < ogg.length; ) {
      expect(Buffer.from(ogg.subarray(o, o + 4)).toString()).toBe("OggS");
      const v = new DataView(ogg.buffer, ogg.byteOffset + o);
      const n = ogg[o + 26];
      const length = 27 + n + ogg.subarray(o + 27, o + 27 + n).reduce((a, b) => a + b, 0);
      const page = Uint8Array.from(ogg.subarray(o, o + length));
      const crc = new DataView(page.buffer).getUint32(22, true);
      page.fill(0, 22, 26);
      expect(oggCrc(page)).toBe(crc);
      pages.push({ type: ogg[o + 5], granule: v.getBigInt64(6, true), segments: n });
      o += length;
    }
    expect(pages[0].type).toBe(2);
    expect(pages.at(-1)!.type).toBe(4);
    expect(pages.at(-1)!.granule).toBe(BigInt(299 * 960 + 960));
    expect(pages.every((p) => p.segments <= 255)).toBe(true);
    expect(oggOpus([])).toBeUndefined();
  });
});

it("has the documented defaults", () => {
  expect(incidentsSchema.parse({})).toMatchObject({ severities: ["warning", "critical"], telemetry: { before: 600_000, after: 300_000 }, frames: { before: 30_000, after: 30_000, interval: 1000 }, sound: { before: 10_000, after: 10_000 } });
  expect(() => incidentsSchema.parse({ frames: { befor: "1m" } })).toThrow(/befor/);
});

describe("incident retention", () => {
  it("deletes an expired record's blocks but keeps those another record still holds", async () => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), "wachter-inc-")), "w.db"));
    const store = new IncidentStore(db);
    const content = new ContentStore(mkdtempSync(join(tmpdir(), "wachter-blocks-")));
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    let now = T;
    const recorder = new IncidentRecorder(incidentsSchema.parse({ retention: "1h" }), { store, content, log: quiet } as never, () => now);
    await content.open();
    const shared = { path: "shared.bin", content: new Uint8Array(5000).fill(3) };
    const stored = async (firingAt: number, own: string) => {
      const { root, blocks } = await importFiles([shared, { path: "own.txt", content: new TextEncoder().encode(own) }]);
      await content.put(blocks, async () => {});
      store.finalise(store.begin("hot~bearing", firingAt, firingAt - 1000, firingAt + 1000), root.toString(), 5000, blocks.map((b) => b.cid.toString()), firingAt);
      return { root, blocks };
    };
    const old = await stored(T, "old");
    const recent = await stored(T + 2 * 3_600_000, "recent");
    now = T + 2.5 * 3_600_000;
    await recorder.applyRetention();
    expect(store.list().map((r) => r.cid)).toEqual([recent.root.toString()]);
    const sharedCid = old.blocks.find((b) => b.bytes.length === 5000)!.cid;
    expect(await content.has(sharedCid)).toBe(true);
    expect(await content.has(old.root)).toBe(false);
    const walked: string[] = [];
    for await (const b of content.walk(recent.root)) walked.push(b.cid.toString());
    expect(walked.sort()).toEqual(recent.blocks.map((b) => b.cid.toString()).sort());
    await content.close();
  });
});
