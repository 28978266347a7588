import { CarBufferReader } from "@ipld/car/buffer-reader";
import * as dagPb from "@ipld/dag-pb";
import { sha256 } from "@noble/hashes/sha2";
import { UnixFS } from "ipfs-unixfs";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";

const SHA2_256 = 0x12;
/** Hashing runs in slices of this many bytes, the page drawing in between (a record is a few MB). */
const SLICE_BYTES = 512 * 1024;

/** A record that is not what its CID says: a block that does not hash to its CID, or one missing. */
export class RecordError extends Error {}

export interface IncidentFiles {
  /** Every file by its path in the record ("manifest.json", "frames/cam/0000.thermal", …). */
  files: Map<string, Uint8Array>;
  /** Blocks checked against their CIDs. */
  blocks: number;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);
const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * Reads a record's CAR as the gateway exported it and checks it the way any IPFS client would:
 * the CAR's root is the CID asked for, every block hashes (SHA-256, in JavaScript: a plant's
 * dashboard is often plain HTTP, where the browser offers no WebCrypto) to the CID it is stored
 * under, and every block the directory needs is there. Only then are its files handed out.
 */
export async function readIncidentCar(car: Uint8Array, root: string): Promise<IncidentFiles> {
  let reader: CarBufferReader;
  try {
    reader = CarBufferReader.fromBytes(car);
  } catch (err) {
    throw new RecordError(`not a CAR file: ${(err as Error).message}`);
  }
  const rootCid = CID.parse(root);
  const roots = reader.getRoots();
  if (roots.length !== 1 || !roots[0].equals(rootCid)) throw new RecordError(`the CAR's root is not ${root}`);
  const blocks = new Map<string, Uint8Array>();
  let hashed = 0;
  for (const { cid, bytes } of reader.blocks()) {
    if (cid.multihash.code !== SHA2_256) throw new RecordError(`block ${cid} is not hashed with SHA-256`);
    if (!sameBytes(sha256(bytes), cid.multihash.digest)) throw new RecordError(`block ${cid} does not match its CID`);
    blocks.set(cid.toString(), bytes);
    hashed += bytes.length;
    if (hashed >= SLICE_BYTES) {
      hashed = 0;
      await nextTask();
    }
  }
  const block = (cid: CID) => {
    const bytes = blocks.get(cid.toString());
    if (!bytes) throw new RecordError(`block ${cid} is missing: the record is incomplete`);
    return bytes;
  };
  const unixfs = (node: dagPb.PBNode) => UnixFS.unmarshal(node.Data ?? new Uint8Array());
  const fileBytes = (cid: CID): Uint8Array[] => {
    if (cid.code === raw.code) return [block(cid)];
    const node = dagPb.decode(block(cid));
    return node.Links.length ? node.Links.flatMap((l) => fileBytes(l.Hash)) : [unixfs(node).data ?? new Uint8Array()];
  };
  const files = new Map<string, Uint8Array>();
  const read = (cid: CID, path: string): void => {
    if (cid.code === raw.code) return void files.set(path, block(cid));
    const node = dagPb.decode(block(cid));
    const { type } = unixfs(node);
    if (type === "directory") for (const l of node.Links) read(l.Hash, path ? `${path}/${l.Name}` : (l.Name ?? ""));
    else if (path && (type === "file" || type === "raw")) files.set(path, concat(fileBytes(cid)));
    else throw new RecordError(`${path || "the root"} is a ${type}, which the dashboard does not read`);
  };
  if (rootCid.code !== dagPb.code) throw new RecordError("the root is not a directory");
  read(rootCid, "");
  return { files, blocks: blocks.size };
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
