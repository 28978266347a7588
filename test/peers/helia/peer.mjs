// A real IPFS peer (Helia 7, js-libp2p 3) for wachter's incident tests, in three roles:
//
//   node peer.mjs verify GATEWAY TOKEN ipfs://CID/PATH...
//     An independent verifying client: @helia/verified-fetch on a Helia whose only block source is
//     the gateway's trustless gateway (HTTP, bearer token). Prints one JSON line per URL:
//     {status, contentType, sha256} or {error}.
//   node peer.mjs node RPC_PORT AUTHORIZATION
//     The plant's IPFS node: a libp2p peer on loopback TCP that serves its blocks over bitswap, and
//     takes CARs the way Kubo's RPC API does (POST /api/v0/dag/import, multipart `file`, roots
//     pinned, one JSON line per root; 403 without the configured Authorization header). Prints
//     {peer, multiaddrs} once it listens.
//   node peer.mjs fetch MULTIADDR CID
//     Another peer that fetches the whole DAG under CID from MULTIADDR over bitswap (every block
//     checked against its CID by Helia) and prints {files: {path: sha256}}.
//
// Everything that reaches the public network by default in Helia is left out: no mDNS, bootstrap
// peers, DHT, delegated routers, public gateways, relays, UPnP or AutoTLS. The tests run it inside a
// network namespace with only loopback as well. Needs Node 22 or later (Helia 7 uses
// Promise.withResolvers), so the tests start it with Node 24 on either runtime.
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import { Readable } from "node:stream";
import { withBitswap } from "@helia/bitswap";
import { car } from "@helia/car";
import { fallbackRouter } from "@helia/fallback-router";
import { withLibp2pLight } from "@helia/libp2p";
import { trustlessGatewayBlockBroker } from "@helia/trustless-gateway-client";
import { unixfs } from "@helia/unixfs";
import { createVerifiedFetch } from "@helia/verified-fetch";
import { CarReader } from "@ipld/car";
import { identify } from "@libp2p/identify";
import { noise } from "@libp2p/noise";
import { tcp } from "@libp2p/tcp";
import { yamux } from "@libp2p/yamux";
import { multiaddr } from "@multiformats/multiaddr";
import { createHeliaLight } from "helia";
import { CID } from "multiformats/cid";

const TIMEOUT_MS = 15_000;
const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");
const print = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);

// AbortSignal.timeout's timer does not keep Node running: a lookup that waits on nothing else would
// end the process (exit code 13) instead of timing out. This timer does.
function deadline() {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
  controller.signal.addEventListener("abort", () => clearTimeout(timer));
  return { signal: controller.signal, done: () => clearTimeout(timer) };
}

// Helia 7 waits forever for provider lookups when every router is a fallback router: one ordinary
// router that finds nothing lets the lookup end and move on to the fallback (the gateway).
const noRouting = { name: "no-routing", async *findProviders() {} };

function loopbackPeer() {
  return withBitswap(
    withLibp2pLight(createHeliaLight({ routers: [noRouting] }), {
      addresses: { listen: ["/ip4/127.0.0.1/tcp/0"] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify() },
    }),
  );
}

async function verify(gateway, token, ...resources) {
  const helia = createHeliaLight({
    blockBrokers: [
      trustlessGatewayBlockBroker({
        allowLocal: true,
        allowInsecure: true,
        transformRequestInit: (init) => ({ ...init, headers: { ...Object.fromEntries(new Headers(init.headers)), Authorization: `Bearer ${token}` } }),
      }),
    ],
    routers: [noRouting, fallbackRouter({ gateways: [gateway] })],
  });
  await helia.start();
  const verifiedFetch = await createVerifiedFetch(helia);
  try {
    for (const resource of resources) {
      try {
        const { signal, done } = deadline();
        try {
          const res = await verifiedFetch(resource, { signal });
          const body = new Uint8Array(await res.arrayBuffer());
          print({ status: res.status, contentType: res.headers.get("content-type"), sha256: sha256(body) });
        } finally {
          done();
        }
      } catch (err) {
        print({ error: `${err.name}: ${err.message}` });
      }
    }
  } finally {
    await verifiedFetch.stop();
    await helia.stop();
  }
}

async function node(rpcPort, authorization) {
  const helia = loopbackPeer();
  await helia.start();
  const importer = car(helia);
  const server = createServer((req, res) => {
    const reply = (status, body) => res.writeHead(status, { "Content-Type": status === 200 ? "application/json" : "text/plain" }).end(body);
    const url = new URL(req.url ?? "/", "http://localhost");
    if (req.headers.authorization !== authorization) return reply(403, "403 - Forbidden");
    if (req.method !== "POST" || url.pathname !== "/api/v0/dag/import") return reply(404, "404 page not found");
    importCars(helia, importer, req, url.searchParams.get("pin-roots") !== "false").then(
      (lines) => reply(200, lines.map((l) => `${JSON.stringify(l)}\n`).join("")),
      (err) => reply(500, err.message),
    );
  });
  await new Promise((resolve) => server.listen(Number(rpcPort), "127.0.0.1", resolve));
  print({ peer: helia.libp2p.peerId.toString(), multiaddrs: helia.libp2p.getMultiaddrs().map(String) });
  process.on("SIGTERM", () => {
    server.close();
    void helia.stop().then(() => process.exit(0));
  });
}

async function importCars(helia, importer, req, pinRoots) {
  const form = await new Request("http://localhost/", { method: "POST", headers: req.headers, body: Readable.toWeb(req), duplex: "half" }).formData();
  const lines = [];
  for (const file of form.values()) {
    if (typeof file === "string") continue;
    const reader = await CarReader.fromBytes(new Uint8Array(await file.arrayBuffer()));
    await importer.import(reader, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    for (const root of await reader.getRoots()) {
      let PinErrorMsg = "";
      // Helia pins a DAG only if it can walk all of it; offline, a missing block is an error.
      if (pinRoots) {
        try {
          if (!(await helia.pins.isPinned(root))) for await (const _ of helia.pins.add(root, { offline: true, signal: AbortSignal.timeout(TIMEOUT_MS) }));
        } catch (err) {
          PinErrorMsg = err.message;
        }
      }
      lines.push({ Root: { Cid: { "/": root.toString() }, PinErrorMsg } });
    }
  }
  return lines;
}

async function fetchDag(address, cidText) {
  const helia = loopbackPeer();
  await helia.start();
  const fs = unixfs(helia);
  const { signal, done } = deadline();
  const options = { signal, providers: [multiaddr(address)] };
  const files = {};
  const walk = async (cid, path) => {
    const stat = await fs.stat(cid, options);
    if (stat.type === "directory") {
      for await (const entry of fs.ls(cid, options)) await walk(entry.cid, path ? `${path}/${entry.name}` : entry.name);
      return;
    }
    const chunks = [];
    for await (const chunk of fs.cat(cid, options)) chunks.push(chunk);
    files[path] = sha256(Buffer.concat(chunks));
  };
  try {
    await walk(CID.parse(cidText), "");
    print({ files });
  } catch (err) {
    print({ error: `${err.name}: ${err.message}` });
  } finally {
    done();
    await helia.stop();
  }
}

const [role, ...args] = process.argv.slice(2);
const roles = { verify, node, fetch: fetchDag };
if (!roles[role]) {
  console.error("usage: peer.mjs verify GATEWAY TOKEN URL... | node RPC_PORT AUTHORIZATION | fetch MULTIADDR CID");
  process.exit(2);
}
await roles[role](...args);
if (role !== "node") process.exit(0);
