import { createServer, type IncomingMessage, type Server } from "node:http";
import { Readable } from "node:stream";
import { CarBlockIterator } from "@ipld/car";
import * as dagPb from "@ipld/dag-pb";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";

/**
 * A stand-in for a Kubo node's RPC API, as far as incident replication uses it:
 * `POST /api/v0/dag/import` with the CAR as a multipart file, answered as Kubo documents it (one
 * JSON object a line, `{"Root":{"Cid":{"/":…},"PinErrorMsg":…}}`). Like Kubo it checks every block
 * against its CID, imports them, and pins each root whose whole DAG it has; with `authorization`
 * it refuses other requests with 403, as Kubo's API.Authorizations does. Not a Kubo: there is none
 * here (Debian has none, and its npm package downloads a binary).
 */
export class KuboRpcStandIn {
  readonly blocks = new Map<string, Uint8Array>();
  readonly pins = new Set<string>();
  imports = 0;
  /** Set to refuse every import with this HTTP status, as a node does with a CAR it cannot take. */
  refuseWith: number | undefined;
  private server: Server | undefined;

  constructor(private readonly authorization?: string) {}

  async listen(port: number): Promise<void> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(
        ({ status, body }) => res.writeHead(status, { "Content-Type": status === 200 ? "application/json" : "text/plain" }).end(body),
        (err: Error) => res.writeHead(500, { "Content-Type": "text/plain" }).end(err.message),
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(port, "127.0.0.1", resolve));
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
    this.server = undefined;
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; body: string }> {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (this.authorization && req.headers.authorization !== this.authorization) return { status: 403, body: "403 - Forbidden" };
    if (req.method !== "POST" || url.pathname !== "/api/v0/dag/import") return { status: 404, body: "404 page not found" };
    if (this.refuseWith) return { status: this.refuseWith, body: "cannot take this CAR" };
    const form = await new Request(url, { method: "POST", headers: req.headers as Record<string, string>, body: Readable.toWeb(req) as ReadableStream, duplex: "half" } as RequestInit).formData();
    const lines: string[] = [];
    for (const file of form.values()) {
      if (typeof file === "string") continue;
      const car = await CarBlockIterator.fromBytes(new Uint8Array(await file.arrayBuffer()));
      for await (const { cid, bytes } of car) {
        const digest = await sha256.digest(bytes);
        if (!digest.digest.every((b, i) => b === cid.multihash.digest[i])) return { status: 500, body: `block ${cid} does not match its CID` };
        this.blocks.set(cid.toString(), bytes);
      }
      for (const root of await car.getRoots()) {
        const missing = this.missing(root);
        if (!missing && url.searchParams.get("pin-roots") !== "false") this.pins.add(root.toString());
        lines.push(JSON.stringify({ Root: { Cid: { "/": root.toString() }, PinErrorMsg: missing ? `block ${missing} not found` : "" } }));
      }
    }
    this.imports++;
    return { status: 200, body: `${lines.join("\n")}\n` };
  }

  /** The first block under `root` this node does not have. */
  private missing(root: CID): string | undefined {
    const bytes = this.blocks.get(root.toString());
    if (!bytes) return root.toString();
    if (root.code !== dagPb.code) return undefined;
    for (const link of dagPb.decode(bytes).Links) {
      const m = this.missing(link.Hash);
      if (m) return m;
    }
    return undefined;
  }

  /** Whether the whole DAG under `cid` is here and pinned. */
  holds(cid: string): boolean {
    return this.pins.has(cid) && this.missing(CID.parse(cid)) === undefined;
  }
}
