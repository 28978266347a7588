import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import * as dagPb from "@ipld/dag-pb";
import type { FastifyInstance, FastifyReply } from "fastify";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { identity } from "multiformats/hashes/identity";
import { sha256 } from "multiformats/hashes/sha2";
import { carStream, type ContentStore } from "../incidents/contentStore.js";
import type { IncidentStore } from "../incidents/incidentStore.js";
import { carBlocks, carRequest, resolvePath, responseFormat, TrustlessError } from "../incidents/trustless.js";

/** Behind authentication, so shared caches must not keep what a signed-in viewer fetched. */
const IMMUTABLE = "private, max-age=29030400, immutable";

function parse(text: string): CID {
  let cid: CID;
  try {
    cid = CID.parse(text);
  } catch {
    throw new TrustlessError(400, "not a CID");
  }
  if ((cid.code !== raw.code && cid.code !== dagPb.code) || (cid.multihash.code !== sha256.code && cid.multihash.code !== identity.code)) {
    throw new TrustlessError(400, "this gateway holds only dag-pb and raw blocks hashed with sha2-256");
  }
  return cid;
}

/**
 * `GET/HEAD /ipfs/{cid}[/path]` for the gateway's own incident records, per the IPFS trustless
 * gateway specification: `format=raw` / `application/vnd.ipld.raw` for one block (no path), and
 * `format=car` / `application/vnd.ipld.car` with `dag-scope` and `entity-bytes`. An identity CID
 * (such as the probe `bafkqaaa`) is answered from the CID itself.
 */
export function registerTrustlessGateway(app: FastifyInstance, store: IncidentStore, content: ContentStore): void {
  app.get<{ Params: { "*": string }; Querystring: Record<string, string | undefined> }>("/ipfs/*", { config: { access: "viewer" } }, async (req, reply) => {
    try {
      const [first, ...rest] = req.params["*"].split("/");
      const cid = parse(first);
      const path = rest.filter((s) => s !== "").map((s) => decodeURIComponent(s));
      const format = responseFormat(req.query.format, req.headers.accept);
      const held = cid.multihash.code === identity.code || (store.holdsBlock(cid.toString()) && (await content.has(cid)));
      if (!held) throw new TrustlessError(404, "no block with this CID in the gateway's incident records");
      reply.header("X-Content-Type-Options", "nosniff").header("Vary", "Accept").header("X-Ipfs-Path", `/ipfs/${req.params["*"]}`);
      return format === "raw" ? await rawBlock(reply, cid, path, req.headers["if-none-match"]) : await car(reply, content, cid, path, req.query);
    } catch (err) {
      if (err instanceof TrustlessError) return reply.code(err.status).type("text/plain; charset=utf-8").send(`${err.message}\n`);
      throw err;
    }
  });

  async function rawBlock(reply: FastifyReply, cid: CID, path: string[], ifNoneMatch: string | undefined) {
    if (path.length) throw new TrustlessError(400, "a raw block is asked for by its CID alone, without a path");
    const etag = `"${cid}.raw"`;
    reply.header("Etag", etag).header("Cache-Control", IMMUTABLE);
    if (ifNoneMatch === etag) return reply.code(304).send();
    const bytes = cid.multihash.code === identity.code ? cid.multihash.digest : await content.get(cid);
    return reply
      .type("application/vnd.ipld.raw")
      .header("Content-Disposition", `attachment; filename="${cid}.bin"`)
      .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }
}

async function car(reply: FastifyReply, content: ContentStore, root: CID, path: string[], query: Record<string, string | undefined>) {
  const request = carRequest(query["dag-scope"], query["entity-bytes"]);
  let blocks: AsyncIterable<{ cid: CID; bytes: Uint8Array }> = (async function* () {})();
  if (root.multihash.code !== identity.code) {
    blocks = await carBlocks(content, await resolvePath(content, root, path), request);
  } else if (path.length) throw new TrustlessError(404, "an identity CID has no paths");
  const out = carStream(root, blocks, (err) => reply.log.error({ err: err.message, cid: root.toString() }, "CAR response ended early"));
  const variant = createHash("sha256").update(JSON.stringify([path, request])).digest("base64url").slice(0, 12);
  return reply
    .type("application/vnd.ipld.car; version=1; order=dfs; dups=n")
    .header("Content-Disposition", `attachment; filename="${root}.car"`)
    .header("Etag", `W/"${root}.car.${variant}"`)
    .header("Cache-Control", IMMUTABLE)
    .send(Readable.from(out));
}
