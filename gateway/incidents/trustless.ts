import * as dagPb from "@ipld/dag-pb";
import { UnixFS } from "ipfs-unixfs";
import type { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import type { ContentStore } from "./contentStore.js";

/**
 * The IPFS trustless gateway's responses (specs.ipfs.tech/http-gateways/trustless-gateway/):
 * raw blocks and CAR files of a DAG, which the client verifies block by block.
 */

export class TrustlessError extends Error {
  constructor(
    readonly status: 400 | 404 | 406,
    message: string,
  ) {
    super(message);
  }
}

export type DagScope = "block" | "entity" | "all";
export type Format = "raw" | "car";

export interface CarRequest {
  scope: DagScope;
  /** Inclusive; `to` undefined for "*" (the end). */
  bytes?: { from: number; to: number | undefined };
}

const MEDIA: Record<string, Format> = { "application/vnd.ipld.raw": "raw", "application/vnd.ipld.car": "car" };

/** `format=` wins over Accept; without either a trustless gateway cannot tell what is wanted. */
export function responseFormat(format: string | undefined, accept: string | undefined): Format {
  if (format !== undefined) {
    if (format === "raw" || format === "car") return format;
    throw new TrustlessError(400, `format=${format.slice(0, 40)}: this gateway answers format=raw or format=car`);
  }
  for (const part of (accept ?? "").split(",")) {
    const [type, ...params] = part.split(";").map((s) => s.trim().toLowerCase());
    const found = MEDIA[type];
    if (!found) continue;
    if (found === "car" && params.some((p) => p.startsWith("version=") && p !== "version=1")) continue;
    return found;
  }
  throw new TrustlessError(accept ? 406 : 400, "ask for Accept: application/vnd.ipld.raw or application/vnd.ipld.car (or ?format=raw|car)");
}

export function carRequest(scope: string | undefined, entityBytes: string | undefined): CarRequest {
  if (scope !== undefined && scope !== "block" && scope !== "entity" && scope !== "all") throw new TrustlessError(400, "dag-scope must be block, entity or all");
  const request: CarRequest = { scope: scope ?? "all" };
  if (entityBytes !== undefined) {
    const m = /^(-?\d{1,15}):(-?\d{1,15}|\*)$/.exec(entityBytes);
    if (!m) throw new TrustlessError(400, "entity-bytes must be from:to (inclusive, negative counts from the end, to may be *)");
    request.bytes = { from: Number(m[1]), to: m[2] === "*" ? undefined : Number(m[2]) };
  }
  return request;
}

interface Block {
  cid: CID;
  bytes: Uint8Array;
}

/** Follows `path` by link names from `root`; the blocks on the way belong in a CAR, so a client can verify the path. */
export async function resolvePath(content: ContentStore, root: CID, path: string[]): Promise<{ onTheWay: Block[]; terminal: Block }> {
  const onTheWay: Block[] = [];
  let block: Block = { cid: root, bytes: await content.get(root) };
  for (const name of path) {
    const node = block.cid.code === dagPb.code ? dagPb.decode(block.bytes) : undefined;
    if (!node?.Data || UnixFS.unmarshal(node.Data).type !== "directory") throw new TrustlessError(404, `no "${name.slice(0, 80)}" in a file`);
    const link = node.Links.find((l) => l.Name === name);
    if (!link) throw new TrustlessError(404, `no "${name.slice(0, 80)}" in this directory`);
    onTheWay.push(block);
    block = { cid: link.Hash, bytes: await content.get(link.Hash) };
  }
  return { onTheWay, terminal: block };
}

/** A file's size from its root block (a raw block is a whole file). */
function fileSize(block: Block): number | undefined {
  if (block.cid.code === raw.code) return block.bytes.length;
  const node = dagPb.decode(block.bytes);
  const unixfs = node.Data ? UnixFS.unmarshal(node.Data) : undefined;
  return unixfs?.type === "file" || unixfs?.type === "raw" ? Number(unixfs.fileSize()) : undefined;
}

/**
 * The blocks of a CAR response, depth first, each once: the path's blocks, then per `dag-scope`
 * the terminal block only, the entity (a whole file, or the blocks of its `entity-bytes`; a
 * directory's own block) or the whole DAG under it. Throws (before the first block) when the
 * range lies wholly outside the file.
 */
export async function carBlocks(content: ContentStore, resolved: { onTheWay: Block[]; terminal: Block }, request: CarRequest): Promise<AsyncIterable<Block>> {
  const { terminal } = resolved;
  let range: { from: number; to: number } | undefined;
  const size = fileSize(terminal);
  if (request.scope === "entity" && request.bytes && size !== undefined) {
    const from = request.bytes.from < 0 ? Math.max(0, size + request.bytes.from) : request.bytes.from;
    const to = request.bytes.to === undefined ? size - 1 : request.bytes.to < 0 ? size + request.bytes.to : Math.min(request.bytes.to, size - 1);
    if (from >= size || to < from) throw new TrustlessError(400, `entity-bytes ${request.bytes.from}:${request.bytes.to ?? "*"} lies outside the file's ${size} bytes`);
    range = { from, to };
  }
  return (async function* () {
    const seen = new Set<string>();
    const once = (b: Block) => !seen.has(b.cid.toString()) && seen.add(b.cid.toString());
    for (const b of resolved.onTheWay) if (once(b)) yield b;
    if (request.scope === "all") {
      for await (const b of content.walk(terminal.cid)) if (once(b)) yield b;
    } else if (request.scope === "block" || size === undefined) {
      if (once(terminal)) yield terminal;
    } else {
      for await (const b of fileBlocks(content, terminal, 0, range ?? { from: 0, to: Math.max(0, size - 1) })) if (once(b)) yield b;
    }
  })();
}

/** A UnixFS file's blocks that hold bytes of `range`, `offset` being where this node's bytes begin. */
async function* fileBlocks(content: ContentStore, block: Block, offset: number, range: { from: number; to: number }): AsyncGenerator<Block> {
  yield block;
  if (block.cid.code === raw.code) return;
  const node = dagPb.decode(block.bytes);
  const unixfs = UnixFS.unmarshal(node.Data!);
  let start = offset + (unixfs.data?.length ?? 0);
  for (let i = 0; i < node.Links.length; i++) {
    const length = Number(unixfs.blockSizes[i] ?? 0n);
    if (start <= range.to && start + length - 1 >= range.from) {
      const cid = node.Links[i].Hash;
      yield* fileBlocks(content, { cid, bytes: await content.get(cid) }, start, range);
    }
    start += length;
  }
}
