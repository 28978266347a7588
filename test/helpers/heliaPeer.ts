import { join } from "node:path";
import { ROOT } from "./gateway.js";
import type { NetNs } from "./netns.js";
import { waitFor } from "./ports.js";
import { Proc } from "./processes.js";

const PEER = join(ROOT, "test/peers/helia/peer.mjs");

/**
 * Starts test/peers/helia/peer.mjs in one of its roles inside `ns`. It always runs on Node 24
 * (.ci/node24.sh): Helia 7 needs Node 22 or later, and the suite also runs on Node 20.
 */
export function heliaPeer(ns: NetNs, role: "verify" | "node" | "fetch", args: string[]): Proc {
  const [command, argv] = ns.wrap("bash", [join(ROOT, ".ci/node24.sh"), "node", PEER, role, ...args]);
  return new Proc(command, argv);
}

/** Runs a role that ends by itself and returns the JSON lines it printed. */
export async function heliaRun<T>(ns: NetNs, role: "verify" | "fetch", args: string[]): Promise<T[]> {
  const peer = heliaPeer(ns, role, args);
  const code = await peer.exited;
  if (code !== 0) throw new Error(`Helia peer ${role} exited with ${code}: ${peer.stderr}`);
  return peer.stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
}

/** The plant's IPFS node (Kubo RPC's dag/import on `rpcPort`, bitswap on loopback TCP), once it listens. */
export async function heliaNode(ns: NetNs, rpcPort: number, authorization: string): Promise<{ proc: Proc; multiaddr: string }> {
  const proc = heliaPeer(ns, "node", [String(rpcPort), authorization]);
  const line = await waitFor("the Helia node to listen", () => (!proc.running ? Promise.reject(new Error(`Helia node exited: ${proc.stderr}`)) : (proc.stdout.includes("\n") ? proc.stdout.split("\n")[0] : undefined)), 30_000);
  const { multiaddrs } = JSON.parse(line) as { multiaddrs: string[] };
  return { proc, multiaddr: multiaddrs[0]! };
}
