import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatewayProcess, ROOT } from "../helpers/gateway.js";
import { NetNs } from "../helpers/netns.js";
import { waitFor } from "../helpers/ports.js";
import { Proc } from "../helpers/processes.js";

const TOKEN = "whip-endpoint-token";

describe("WHIP push: the gateway publishes its tracks to a media server", () => {
  let ns: NetNs;
  let endpoint: Proc;
  let gateway: GatewayProcess;

  const startEndpoint = async (...flags: string[]) => {
    const [cmd, args] = ns.wrap(process.execPath, ["--import", "tsx", join(ROOT, "test/helpers/whipEndpoint.ts"), "9000", TOKEN, ...flags]);
    endpoint = new Proc(cmd, args, { cwd: ROOT });
    await waitFor("endpoint", () => endpoint.stdout.includes("listening") || undefined, 10_000);
  };
  const counts = () => {
    const last = endpoint.stdout.trim().split("\n").filter((l) => l.startsWith("{")).at(-1);
    return last ? (JSON.parse(last) as { video: number; audio: number; sessions: number; deleted: number }) : undefined;
  };

  /** UDP sockets the gateway process holds (ICE transports), from its fds and its namespace's /proc/net/udp. */
  const udpSockets = () => {
    const pid = gateway.proc!.child.pid!;
    const inodes = new Set(readdirSync(`/proc/${pid}/fd`).map((fd) => /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1]));
    return readFileSync(`/proc/${pid}/net/udp`, "utf8").split("\n").slice(1).filter((l) => inodes.has(l.trim().split(/\s+/)[9])).length;
  };

  beforeAll(async () => {
    ns = await NetNs.create(10_217);
    await startEndpoint();
    gateway = new GatewayProcess(
      { http: { host: "0.0.0.0", port: 8080 }, uplink: { whip: { url: "http://10.217.0.1:9000/whip", token: TOKEN } }, sources: [{ id: "sim", type: "simulated" }] },
      ns,
    );
    await gateway.start();
  });

  afterAll(async () => {
    await gateway?.stop();
    await endpoint?.stop();
    await ns?.destroy();
  });

  it("sends the thermal video and the microphone", async () => {
    await waitFor("RTP at the endpoint", () => ((counts()?.video ?? 0) > 30 && (counts()?.audio ?? 0) > 30) || undefined, 20_000);
  });

  it("publishes again after the media server restarts, keeping no sockets of the old session", async () => {
    const before = udpSockets();
    await endpoint.stop();
    await startEndpoint();
    await waitFor("republished", () => ((counts()?.video ?? 0) > 30 && (counts()?.audio ?? 0) > 30) || undefined, 40_000);
    expect(udpSockets()).toBe(before);
  });

  it("gives up on an endpoint that answers but never connects, and publishes once it is back", async () => {
    await endpoint.stop();
    await startEndpoint("--mute");
    // The old session ends when ICE consent expires (~30 s); the first offer to the mute endpoint follows.
    await waitFor("an offer to the mute endpoint", () => ((counts()?.sessions ?? 0) >= 1) || undefined, 45_000);
    await waitFor("a second offer after the first never connected", () => ((counts()?.sessions ?? 0) >= 2) || undefined, 25_000);
    await gateway.logged("WHIP publish: did not connect within 15 s");
    await endpoint.stop();
    await startEndpoint();
    await waitFor("republished", () => ((counts()?.video ?? 0) > 30 && (counts()?.audio ?? 0) > 30) || undefined, 40_000);
  }, 150_000);

  it("ends its WHIP session when the gateway stops", async () => {
    await gateway.stop();
    await waitFor("DELETE received", () => ((counts()?.deleted ?? 0) >= 1) || undefined, 5000);
    expect(counts()!.sessions).toBeGreaterThanOrEqual(1);
  });
});
