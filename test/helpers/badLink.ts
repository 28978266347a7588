import { fileURLToPath } from "node:url";
import { NetNs } from "./netns.js";
import { waitFor } from "./ports.js";
import { Proc } from "./processes.js";

const RELAY = fileURLToPath(new URL("./delay_relay.py", import.meta.url));

/**
 * The gateway and the viewer in two network namespaces joined by a bad link: every packet is held
 * for `oneWayDelayMs` each way by delay_relay.py (this kernel has no sch_netem), and nftables in
 * the gateway's namespace drops a share of packets at random or all of them (a blackout).
 * The gateway is `gatewayAddress`; the viewer's namespace routes everything over the link.
 */
export class BadLink {
  private constructor(
    readonly gateway: NetNs,
    readonly viewer: NetNs,
    private readonly relay: Proc,
    readonly gatewayAddress: string,
  ) {}

  static async create(subnet: number, oneWayDelayMs: number): Promise<BadLink> {
    const [a, b] = [Math.floor(subnet / 1000) % 256, subnet % 1000 % 256];
    const [gw, view] = [`${a}.${b}.0.1`, `${a}.${b}.0.2`];
    const gateway = await NetNs.bare();
    const viewer = await NetNs.bare();
    // Named wan*, not tun*: werift ignores interfaces whose names start with tun.
    const relay = new Proc("python3", [RELAY, String(oneWayDelayMs), gateway.path, "wan0", viewer.path, "wan1"]);
    try {
      await waitFor("delay relay", () => relay.stdout.includes("ready") || (!relay.running ? Promise.reject(new Error(`delay relay exited: ${relay.stderr}`)) : undefined), 5000);
      await gateway.exec(`ip addr add ${gw} peer ${view} dev wan0 && ip link set wan0 up && ip route add default dev wan0`);
      // Chromium gathers no candidates without a default route.
      await viewer.exec(`ip addr add ${view} peer ${gw} dev wan1 && ip link set wan1 up && ip route add default dev wan1`);
      await gateway.exec("nft -f -", "table inet badlink {\n chain in { type filter hook input priority 0; }\n chain out { type filter hook output priority 0; }\n}\n");
    } catch (err) {
      await Promise.all([relay.stop("SIGKILL"), gateway.destroy(), viewer.destroy()]);
      throw err;
    }
    return new BadLink(gateway, viewer, relay, gw);
  }

  /** Drops this share of the packets crossing the link, each way, at random. */
  async loss(percent: number): Promise<void> {
    if (!Number.isInteger(percent) || percent < 0 || percent > 100) throw new Error(`loss must be a whole percentage, got ${percent}`);
    await this.gateway.exec("nft flush chain inet badlink in && nft flush chain inet badlink out");
    if (percent === 0) return;
    await this.gateway.exec(`nft add rule inet badlink in iifname wan0 numgen random mod 100 "<" ${percent} drop && nft add rule inet badlink out oifname wan0 numgen random mod 100 "<" ${percent} drop`);
  }

  /** While on, nothing crosses the link either way (Wi-Fi gone); ends with blackout(false). */
  async blackout(on: boolean): Promise<void> {
    await this.gateway.exec(
      on
        ? "nft -f -"
        : "nft delete table inet blackout",
      on ? "table inet blackout {\n chain in { type filter hook input priority -10; iifname wan0 drop; }\n chain out { type filter hook output priority -10; oifname wan0 drop; }\n}\n" : undefined,
    );
  }

  async destroy(): Promise<void> {
    await this.relay.stop("SIGKILL");
    await Promise.all([this.gateway.destroy(), this.viewer.destroy()]);
  }
}
