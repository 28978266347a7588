import { CarWriter } from "@ipld/car";
import type { CID } from "multiformats/cid";
import { describe, expect, it } from "vitest";
import { readIncidentCar, RecordError } from "../../dashboard/src/app/incidentRecord.js";
import { importFiles } from "../../gateway/incidents/contentStore.js";

// The dashboard's reading of a record's CAR, against records the gateway's importer makes.

async function carOf(root: CID, blocks: Array<{ cid: CID; bytes: Uint8Array }>): Promise<Uint8Array> {
  const { writer, out } = CarWriter.create([root]);
  const chunks: Uint8Array[] = [];
  const collected = (async () => {
    for await (const c of out) chunks.push(c);
  })();
  for (const b of blocks) await writer.put(b);
  await writer.close();
  await collected;
  return Buffer.concat(chunks);
}

const text = (s: string) => new TextEncoder().encode(s);
// Over the importer's 1 MiB chunks: a file of several raw leaves under a dag-pb node.
const big = Uint8Array.from({ length: 2_500_000 }, (_, i) => (i * 7919) % 251);
const FILES = [
  { path: "manifest.json", content: text('{"format":"wachter-incident/1"}\n') },
  { path: "telemetry/bearing.csv", content: text("time,mean,min,max\n") },
  { path: "frames/cam/0000.thermal", content: new Uint8Array([1, 2, 3]) },
  { path: "frames/cam/0001.thermal", content: new Uint8Array([4, 5]) },
  { path: "sound/mic.opus", content: big },
  { path: "empty.txt", content: new Uint8Array() },
];

describe("the dashboard's reading of an incident CAR", () => {
  it("gives back every file, nested and chunked ones too, with every block checked", async () => {
    const { root, blocks } = await importFiles(FILES);
    const read = await readIncidentCar(await carOf(root, blocks), root.toString());
    expect(read.blocks).toBe(blocks.length);
    expect([...read.files.keys()].sort()).toEqual(FILES.map((f) => f.path).sort());
    for (const f of FILES) expect(Buffer.from(read.files.get(f.path)!).equals(Buffer.from(f.content)), f.path).toBe(true);
  });

  it("refuses a CAR with one byte changed, a block left out, or another root", async () => {
    const { root, blocks } = await importFiles(FILES);
    const car = await carOf(root, blocks);
    // A byte inside the big file's data: the block no longer hashes to its CID.
    const tampered = Uint8Array.from(car);
    const at = Buffer.from(car).indexOf(Buffer.from(big.subarray(1_200_000, 1_200_032)));
    expect(at).toBeGreaterThan(0);
    tampered[at + 5] ^= 1;
    await expect(readIncidentCar(tampered, root.toString())).rejects.toThrow(/does not match its CID/);

    const leaf = blocks.find((b) => b.bytes.length === 1024 * 1024)!;
    const missing = await carOf(root, blocks.filter((b) => b !== leaf));
    await expect(readIncidentCar(missing, root.toString())).rejects.toThrow(new RecordError(`block ${leaf.cid} is missing: the record is incomplete`));

    const other = await importFiles(FILES.slice(0, 2));
    await expect(readIncidentCar(car, other.root.toString())).rejects.toThrow(/root is not/);
    await expect(readIncidentCar(new Uint8Array([1, 2, 3]), root.toString())).rejects.toThrow(/not a CAR/);
  });
});
