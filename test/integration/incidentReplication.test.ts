import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_TOKEN, GatewayProcess } from "../helpers/gateway.js";
import { KuboRpcStandIn } from "../helpers/kuboRpc.js";
import { overheatingMill } from "../helpers/overheat.js";
import { freePort, waitFor } from "../helpers/ports.js";

interface Row {
  id: number;
  status: string;
  cid: string | null;
  version: number;
  replication: string | null;
}

const AUTH = "Bearer plant-ipfs-token-0123456789";

describe("incident records replicated to the plant's IPFS node (Kubo RPC), which is down at first", () => {
  const node = new KuboRpcStandIn(AUTH);
  let nodePort: number;
  let gateway: GatewayProcess;
  let base: string;
  const api = async <T>(path: string, init: RequestInit = {}) => (await (await fetch(`${base}${path}`, { ...init, headers: { Authorization: `Bearer ${API_TOKEN}`, "Content-Type": "application/json", ...init.headers } })).json()) as T;

  beforeAll(async () => {
    nodePort = await freePort();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    gateway = new GatewayProcess({
      http: { host: "127.0.0.1", port },
      ...overheatingMill({
        replicate: { kubo: { url: `http://127.0.0.1:${nodePort}`, authorization: AUTH, timeout: "5s" } },
        // No room for pins on this gateway: the last test checks that they are refused.
        maxPinnedBytes: 0,
      }),
    });
    await gateway.start();
  }, 30_000);

  afterAll(async () => {
    await gateway?.stop();
    await node.close();
  });

  it("says why a record is not on the node while it is down, and copies it once it is back, pinned and whole", async () => {
    const failing = await waitFor("a record that could not be replicated yet", async () => (await api<Row[]>("/api/incidents")).find((r) => r.replication?.startsWith("retrying: ")), 40_000, 250);
    expect(failing.status).toBe("finalised");
    expect(failing.replication).toMatch(/^retrying: .*fetch failed/);
    await node.listen(nodePort);
    const done = await waitFor("the record replicated", async () => (await api<Row[]>("/api/incidents")).find((r) => r.id === failing.id && r.replication === "replicated"), 20_000, 250);
    expect(node.holds(done.cid!)).toBe(true);
    await gateway.logged("incident record replicated to the plant's IPFS node", (l) => l.cid === done.cid);
  }, 70_000);

  it("copies a later version too, whose blocks include the first's", async () => {
    const [first] = await api<Row[]>("/api/incidents");
    await api("/api/alerts/hot~spindle.bearing/ack", { method: "POST", body: JSON.stringify({ note: "checked" }) });
    const v2 = await waitFor("version 2 replicated", async () => (await api<Row[]>("/api/incidents")).find((r) => r.version === 2 && r.replication === "replicated"), 20_000, 250);
    expect(node.holds(v2.cid!)).toBe(true);
    expect(node.holds(first.cid!)).toBe(true);
  }, 30_000);

  it("keeps trying a node that asks for other credentials, and says why", async () => {
    await node.close();
    const strict = new KuboRpcStandIn("Bearer another-token");
    await strict.listen(nodePort);
    try {
      await api("/api/alerts/hot~spindle.bearing/shelve", { method: "POST", body: JSON.stringify({ for: "15m" }) });
      const refused = await waitFor("version 3 refused", async () => (await api<Row[]>("/api/incidents")).find((r) => r.version === 3 && r.replication?.startsWith("retrying: ")), 20_000, 250);
      expect(refused.replication).toBe("retrying: the IPFS node answered HTTP 403: 403 - Forbidden");
      expect(strict.imports).toBe(0);
    } finally {
      await strict.close();
    }
    await node.listen(nodePort);
    const v3 = await waitFor("version 3 replicated once the node takes the token", async () => (await api<Row[]>("/api/incidents")).find((r) => r.version === 3 && r.replication === "replicated"), 30_000, 250);
    expect(node.holds(v3.cid!)).toBe(true);
  }, 60_000);

  it("gives up at once on a record the node refuses for what it is, and that holds up none after it", async () => {
    node.refuseWith = 400;
    await api("/api/alerts/hot~spindle.bearing/shelve", { method: "POST", body: JSON.stringify({ for: null }) });
    const refused = await waitFor("version 4 refused for good", async () => (await api<Row[]>("/api/incidents")).find((r) => r.version === 4 && r.replication?.startsWith("failed: ")), 20_000, 250);
    expect(refused.replication).toBe("failed: the IPFS node answered HTTP 400: cannot take this CAR");
    node.refuseWith = undefined;
    await api("/api/alerts/hot~spindle.bearing/shelve", { method: "POST", body: JSON.stringify({ for: "15m" }) });
    const v5 = await waitFor("version 5 replicated", async () => (await api<Row[]>("/api/incidents")).find((r) => r.version === 5 && r.replication === "replicated"), 20_000, 250);
    expect(node.holds(v5.cid!)).toBe(true);
  }, 40_000);

  it("refuses a pin that would take pinned records past incidents.maxPinnedBytes, and pins nothing", async () => {
    const [newest] = await api<Array<Row & { pinnedBy: string | null }>>("/api/incidents");
    const res = await fetch(`${base}/api/incidents/${newest!.cid}/pin`, { method: "PUT", headers: { Authorization: `Bearer ${API_TOKEN}` } });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: string }).error).toBe("pinned records may take at most 0.0 MB (incidents.maxPinnedBytes); unpin another first");
    expect((await api<Array<{ pinnedBy: string | null }>>("/api/incidents")).every((r) => r.pinnedBy === null)).toBe(true);
  });
});
