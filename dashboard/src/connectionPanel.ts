import { t } from "./app/i18n.js";
import { el, formatValue } from "./format.js";

interface Sample {
  at: number;
  bytes: Map<string, number>;
}

/** A small webrtc-internals for operators: how the browser reaches the gateway, and how well. */
export class ConnectionPanel {
  private last: Sample | undefined;

  constructor(private readonly root: HTMLElement) {}

  async update(pc: RTCPeerConnection | undefined): Promise<void> {
    if (!pc) {
      this.root.replaceChildren(el("span", "muted", t("conn.none")));
      this.last = undefined;
      return;
    }
    const stats = await pc.getStats();
    const byId = new Map<string, Record<string, unknown>>();
    stats.forEach((s: Record<string, unknown>) => byId.set(String(s.id), s));
    let pair: Record<string, unknown> | undefined;
    stats.forEach((s: Record<string, unknown>) => {
      if (s.type === "transport" && s.selectedCandidatePairId) pair = byId.get(String(s.selectedCandidatePairId));
    });
    if (!pair) stats.forEach((s: Record<string, unknown>) => {
      if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded") pair = s;
    });
    const local = pair ? byId.get(String(pair.localCandidateId)) : undefined;
    const remote = pair ? byId.get(String(pair.remoteCandidateId)) : undefined;
    const now = performance.now();
    const sample: Sample = { at: now, bytes: new Map() };
    const rows: HTMLElement[] = [];
    const route = local ? `${String(local.candidateType)} (${String(local.protocol ?? "udp")}) → ${String(remote?.candidateType ?? "?")}` : "–";
    const rtt = pair && typeof pair.currentRoundTripTime === "number" ? `${formatValue(pair.currentRoundTripTime * 1000)} ms` : "–";
    const head = el("div", "conn-head");
    head.append(el("span", undefined, t("conn.route", { route })), el("span", undefined, t("conn.rtt", { rtt })));
    head.dataset.route = String(local?.candidateType ?? "");
    stats.forEach((s: Record<string, unknown>) => {
      if (s.type !== "inbound-rtp") return;
      const id = String(s.id);
      const bytes = Number(s.bytesReceived ?? 0);
      sample.bytes.set(id, bytes);
      const prev = this.last?.bytes.get(id);
      const kbps = prev !== undefined && this.last ? ((bytes - prev) * 8) / (now - this.last.at) : 0;
      const received = Number(s.packetsReceived ?? 0);
      const lost = Number(s.packetsLost ?? 0);
      const loss = received + lost > 0 ? (100 * lost) / (received + lost) : 0;
      const track = t("conn.track", { kind: String(s.kind), kbps: formatValue(kbps, 0), loss: formatValue(loss) });
      rows.push(el("div", "conn-row", s.kind === "video" ? `${track}, ${t("conn.fps", { fps: formatValue(Number(s.framesPerSecond ?? 0), 0) })}` : track));
    });
    this.last = sample;
    this.root.replaceChildren(head, ...rows);
  }
}
