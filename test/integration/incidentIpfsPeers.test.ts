import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_TOKEN, GatewayProcess, ROOT } from "../helpers/gateway.js";
import { heliaNode, heliaRun } from "../helpers/heliaPeer.js";
import { NetNs } from "../helpers/netns.js";
import { overheatingMill } from "../helpers/overheat.js";
import { waitFor } from "../helpers/ports.js";
import type { Proc } from "../helpers/processes.js";

interface Row {
  id: number;
  status: string;
  cid: string | null;
  replication: string | null;
}
type Verified = { status: number; contentType: string; sha256: string } | { error: string };

// Inside the namespace, which has only loopback: nothing any peer does can leave this machine.
const GATEWAY = "http://127.0.0.1:8080";
const RPC_PORT = 5001;
const NODE_AUTH = "Bearer plant-ipfs-token-0123456789";

const filesUnder = (dir: string, top = dir): string[] =>
  readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? filesUnder(join(dir, n), top) : [relative(top, join(dir, n))]));

describe("incident records and real IPFS peers (Helia 7 over libp2p and HTTP), in a network namespace with only loopback", () => {
  const work = mkdtempSync(join(tmpdir(), "wachter-ipfs-peers-"));
  let ns: NetNs;
  let gateway: GatewayProcess;
  let node: { proc: Proc; multiaddr: string } | undefined;
  /** The replicated record, and the SHA-256 of each of its files as ipfs-car unpacked them from the gateway's CAR. */
  let record: { cid: string; files: Record<string, string> };
  const curl = (args: string) => ns.exec(`curl -sSf -H 'Authorization: Bearer ${API_TOKEN}' ${args}`);

  beforeAll(async () => {
    ns = await NetNs.bare();
    gateway = new GatewayProcess(
      {
        http: { host: "127.0.0.1", port: 8080 },
        ...overheatingMill({ replicate: { kubo: { url: `http://127.0.0.1:${RPC_PORT}`, authorization: NODE_AUTH, timeout: "5s" } } }),
      },
      ns,
    );
    await gateway.start();
  }, 30_000);

  afterAll(async () => {
    await node?.proc.stop();
    await gateway?.stop();
    await ns?.destroy();
  });

  it("replicates a record to the plant's Helia node once it is up, and another peer fetches all of it from that node over bitswap, byte for byte", async () => {
    const incidents = async () => JSON.parse(await curl(`${GATEWAY}/api/incidents`)) as Row[];
    const waiting = await waitFor("a record waiting for the plant's node", async () => (await incidents()).find((r) => r.replication?.startsWith("retrying: ")), 40_000, 250);
    node = await heliaNode(ns, RPC_PORT, NODE_AUTH);
    const done = await waitFor("the record replicated", async () => (await incidents()).find((r) => r.id === waiting.id && r.replication === "replicated"), 30_000, 250);

    const carFile = join(work, "record.car");
    await curl(`-o ${carFile} ${GATEWAY}/api/incidents/${done.cid}.car`);
    const out = join(work, "unpacked");
    const unpack = spawnSync(join(ROOT, "node_modules/.bin/ipfs-car"), ["unpack", carFile, "--output", out], { encoding: "utf8", timeout: 60_000 });
    expect(unpack.status, unpack.stderr).toBe(0);
    const files = Object.fromEntries(filesUnder(out).map((f) => [f, createHash("sha256").update(readFileSync(join(out, f))).digest("hex")]));
    expect(Object.keys(files)).toEqual(expect.arrayContaining(["manifest.json", "alert.json", "stills/sim.png", "sound/sim.opus", "frames/sim/0000.thermal"]));
    record = { cid: done.cid!, files };

    const [fetched] = await heliaRun<{ files?: Record<string, string>; error?: string }>(ns, "fetch", [node.multiaddr, record.cid]);
    expect(fetched!.error).toBeUndefined();
    expect(fetched!.files).toEqual(record.files);
  }, 120_000);

  it("serves the record's files to @helia/verified-fetch through the trustless gateway, each checked against the CID, and nothing without the token", async () => {
    const paths = ["manifest.json", "alert.json", "stills/sim.png", "sound/sim.opus", "frames/sim/0000.thermal"];
    const results = await heliaRun<Verified>(ns, "verify", [GATEWAY, API_TOKEN, ...paths.map((p) => `ipfs://${record.cid}/${p}`)]);
    expect(results).toHaveLength(paths.length);
    results.forEach((r, i) => expect(r, paths[i]).toMatchObject({ status: 200, sha256: record.files[paths[i]!] }));
    expect(results[0]).toMatchObject({ contentType: "application/json" });

    const stranger = "not-a-token-of-this-gateway-0123456789";
    const [refused] = await heliaRun<Verified>(ns, "verify", [GATEWAY, stranger, `ipfs://${record.cid}/manifest.json`]);
    expect(refused).toHaveProperty("error");
    // Refused for the token: the same request with it gets a 401 from the gateway.
    const status = await ns.exec(`curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer ${stranger}' '${GATEWAY}/ipfs/${record.cid}?format=raw'`);
    expect(status).toBe("401");
  }, 90_000);
});
