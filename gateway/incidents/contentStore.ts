import { mkdirSync } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import { CarWriter } from "@ipld/car";
import * as dagPb from "@ipld/dag-pb";
import { FsBlockstore } from "blockstore-fs";
import { UnixFS } from "ipfs-unixfs";
import { importer } from "ipfs-unixfs-importer";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import type { IncidentFile } from "./record.js";

/** The import profile that fixes a record's CID (IPIP-499): CIDv1, raw leaves, 1 MiB chunks, 1024 links. */
export const IMPORT_PROFILE = "unixfs-v1-2025" as const;

/** Parses a CID from a request; undefined when it is not one, or of a kind a record never has. */
export function parseCid(text: string): CID | undefined {
  try {
    const cid = CID.parse(text);
    return cid.version === 1 && (cid.code === dagPb.code || cid.code === raw.code) && cid.multihash.code === sha256.code ? cid : undefined;
  } catch {
    return undefined;
  }
}

/** Bytes hashed and encoded between two turns of the event loop while a record is imported. */
const IMPORT_SLICE_BYTES = 256 * 1024;

/**
 * Blocks the importer makes, gathered in memory: a record is bounded (maxBytes), so they are too.
 * Every IMPORT_SLICE_BYTES it lets the event loop turn: the importer only ever awaits this store,
 * so without that a whole record would be hashed in one go while live readings wait.
 */
class CollectingStore {
  readonly blocks = new Map<string, { cid: CID; bytes: Uint8Array }>();
  private sinceYield = 0;
  async put(cid: CID, bytes: Uint8Array): Promise<CID> {
    this.blocks.set(cid.toString(), { cid, bytes });
    this.sinceYield += bytes.length;
    if (this.sinceYield >= IMPORT_SLICE_BYTES) {
      this.sinceYield = 0;
      await nextTurn();
    }
    return cid;
  }
}

/** A record's UnixFS directory, content-addressed: the same files give the same root and blocks. */
export async function importFiles(files: IncidentFile[]): Promise<{ root: CID; blocks: Array<{ cid: CID; bytes: Uint8Array }> }> {
  const store = new CollectingStore();
  let root: CID | undefined;
  for await (const entry of importer(
    files.map((f) => ({ path: f.path, content: f.content })),
    store,
    { profile: IMPORT_PROFILE, wrapWithDirectory: true },
  )) {
    root = entry.cid;
  }
  if (!root) throw new Error("a record needs at least one file");
  return { root, blocks: [...store.blocks.values()] };
}

/**
 * The gateway's blockstore (blockstore-fs: each block a file, written to a temporary name and
 * renamed). Blocks are shared between records with the same content; which record holds which
 * block is kept in SQLite, so a block is deleted only with the last record that holds it.
 */
export class ContentStore {
  private readonly store: FsBlockstore;

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.store = new FsBlockstore(dir);
  }

  async open(): Promise<void> {
    await this.store.open();
    await this.removeTemporaryFiles();
  }

  async close(): Promise<void> {
    await this.store.close();
  }

  /** Writes every block; on a failure (a full disk) the blocks written so far are handed to `undo`. */
  async put(blocks: Array<{ cid: CID; bytes: Uint8Array }>, undo: (written: CID[]) => Promise<void>): Promise<void> {
    const written: CID[] = [];
    try {
      for (const b of blocks) {
        if (!(await this.store.has(b.cid))) {
          await this.store.put(b.cid, b.bytes);
          written.push(b.cid);
        }
      }
    } catch (err) {
      await undo(written);
      await this.removeTemporaryFiles();
      throw err;
    }
  }

  /**
   * blockstore-fs writes each block to ".NAME.tmp" and renames it; a write that failed (a full
   * disk) or was cut short leaves that file behind. Only while no block is being written.
   */
  private async removeTemporaryFiles(): Promise<void> {
    for (const shard of await readdir(this.dir, { withFileTypes: true })) {
      if (!shard.isDirectory()) continue;
      for (const name of await readdir(join(this.dir, shard.name))) {
        if (name.startsWith(".") && name.endsWith(".tmp")) await rm(join(this.dir, shard.name, name), { force: true });
      }
    }
  }

  async has(cid: CID): Promise<boolean> {
    return this.store.has(cid);
  }

  async get(cid: CID): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    for await (const c of this.store.get(cid)) chunks.push(c);
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
  }

  async delete(cids: CID[]): Promise<void> {
    for (const cid of cids) await this.store.delete(cid);
  }

  /** The DAG under `root`, depth first in link order, each block once and checked against its CID. */
  async *walk(root: CID): AsyncGenerator<{ cid: CID; bytes: Uint8Array }> {
    const seen = new Set<string>();
    const stack: CID[] = [root];
    while (stack.length) {
      const cid = stack.pop()!;
      const key = cid.toString();
      if (seen.has(key)) continue;
      seen.add(key);
      const bytes = await this.checked(cid);
      yield { cid, bytes };
      if (cid.code === dagPb.code) {
        const links = dagPb.decode(bytes).Links;
        for (let i = links.length - 1; i >= 0; i--) stack.push(links[i].Hash);
      }
    }
  }

  /** A file at the top of a record's directory. */
  async readFile(root: CID, name: string): Promise<Uint8Array | undefined> {
    const link = dagPb.decode(await this.get(root)).Links.find((l) => l.Name === name);
    return link ? this.fileContent(link.Hash) : undefined;
  }

  /** Every file of a record's directory tree by its path ("frames/cam/0000.thermal"). */
  async readTree(root: CID, prefix = ""): Promise<Array<{ path: string; content: Uint8Array }>> {
    const files: Array<{ path: string; content: Uint8Array }> = [];
    for (const link of dagPb.decode(await this.checked(root)).Links) {
      const path = `${prefix}${link.Name ?? ""}`;
      const bytes = link.Hash.code === dagPb.code ? await this.checked(link.Hash) : undefined;
      const node = bytes && dagPb.decode(bytes);
      if (node && UnixFS.unmarshal(node.Data ?? new Uint8Array()).type === "directory") files.push(...(await this.readTree(link.Hash, `${path}/`)));
      else files.push({ path, content: await this.fileContent(link.Hash, bytes) });
    }
    return files;
  }

  /** A file's bytes: its leaves in link order, each checked against its CID (a chunk that repeats is read each time). */
  private async fileContent(cid: CID, checked?: Uint8Array): Promise<Uint8Array> {
    const bytes = checked ?? (await this.checked(cid));
    if (cid.code === raw.code) return bytes;
    const node = dagPb.decode(bytes);
    if (!node.Links.length) return UnixFS.unmarshal(node.Data ?? new Uint8Array()).data ?? new Uint8Array();
    const parts: Uint8Array[] = [];
    for (const link of node.Links) parts.push(await this.fileContent(link.Hash));
    return Buffer.concat(parts);
  }

  /** A block, refused when it does not hash to its CID. */
  private async checked(cid: CID): Promise<Uint8Array> {
    const bytes = await this.get(cid);
    const digest = await sha256.digest(bytes);
    if (!equalBytes(digest.digest, cid.multihash.digest)) throw new Error(`block ${cid} does not match its CID: the blockstore is damaged`);
    return bytes;
  }

  /** A CAR v1 of the record, blocks in depth-first order without duplicates. */
  car(root: CID, onError: (err: Error) => void): AsyncIterable<Uint8Array> {
    return carStream(root, this.walk(root), onError);
  }
}

/**
 * A CAR v1 with one root, written as `blocks` come. A block missing or damaged part-way ends it
 * early (the response has begun): the client finds it incomplete and rejects it; `onError` hears why.
 */
export function carStream(root: CID, blocks: AsyncIterable<{ cid: CID; bytes: Uint8Array }>, onError: (err: Error) => void): AsyncIterable<Uint8Array> {
  const { writer, out } = CarWriter.create([root]);
  void (async () => {
    try {
      for await (const block of blocks) await writer.put(block);
    } finally {
      await writer.close();
    }
  })().catch(onError);
  return out;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
