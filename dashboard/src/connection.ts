import { ALERTS_LABEL, type AlertsMessage } from "../../gateway/protocol/alerts.js";
import { decodeTelemetry, TELEMETRY_LABEL, type TelemetryMessage } from "../../gateway/protocol/telemetry.js";
import { MEDIA_LABEL, pausedQuery, type MediaPaused, type MediaPausedMsg } from "../../gateway/protocol/media.js";
import { SPECTRUM_LABEL } from "../../gateway/protocol/spectrum.js";
import { THERMAL_LABEL } from "../../gateway/protocol/thermal.js";

export type LinkState = "connecting" | "connected" | "reconnecting" | "unsupported";

/** No WebRTC at all: switched off (Firefox's media.peerconnection.enabled, a company policy) or too old. */
export const webrtcMissing = (): boolean => typeof RTCPeerConnection !== "function";

/** Why the link is not up, for the dashboard to say in the operator's language (`link.why.*`, with `arg`), and when it tries again. */
export interface LinkDetail {
  why: "noWebrtc" | "stopped" | "channelClosed" | "connectionFailed" | "connectionClosed" | "noData" | "restartingIce" | "restartRefused" | "error";
  arg?: string | number;
  retryS?: number;
}

export interface LinkEvents {
  state(state: LinkState, detail: LinkDetail | null): void;
  message(msg: TelemetryMessage): void;
  alerts(msg: AlertsMessage): void;
  /** A binary radiometric frame from the `thermal` channel. */
  thermal(data: ArrayBuffer): void;
  /** A binary spectrogram column from the `spectrum` channel. */
  spectrum(data: ArrayBuffer): void;
  /** A media track; `streamId` names the camera or microphone. */
  track(streamId: string, stream: MediaStream): void;
  /** The gateway refused our credentials (signed out, or the session expired). */
  unauthorized(): void;
}

class Unauthorized extends Error {}

/** The gateway sends a tick every second; this much silence means the link is gone. */
const SILENCE_MS = 4000;
/** How long an ICE restart may take to bring data back before the link starts a new session. */
const RESTART_GRACE_MS = 8000;

/** Waits until the browser has gathered its ICE candidates (WHEP sends them all in the offer), or `timeoutMs`. */
export function gatheringDone(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    pc.addEventListener("icegatheringstatechange", () => {
      if (pc.iceGatheringState === "complete") {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

/**
 * Keeps one WHEP session with the gateway alive: connects, watches for silence or failure,
 * and reconnects with capped backoff (e.g. after the gateway restarts).
 */
export class GatewayLink {
  private pc: RTCPeerConnection | undefined;
  private session: string | undefined;
  private watchdog: number | undefined;
  private retryDelay = 1000;
  private lastMessageAt = 0;
  private retryTimer: number | undefined;
  private stopped = false;
  private etag = "";
  private answer = "";
  private restarting = false;
  /** When this outage's ICE restart began; 0 while data flows. */
  private restartedAt = 0;
  private mediaChannel: RTCDataChannel | undefined;
  private paused: MediaPaused = { video: [], audio: [] };

  /** `media` says how many video (one per camera) and audio (one per microphone) tracks to ask for. */
  constructor(
    private readonly events: LinkEvents,
    private readonly media: () => { video: number; audio: number },
  ) {}

  get peerConnection(): RTCPeerConnection | undefined {
    return this.pc;
  }

  /** The cameras' videos and microphones' sounds (by id) this page does not need now: the gateway sends them nothing until they are asked for again. */
  pauseMedia(paused: MediaPaused): void {
    this.paused = paused;
    this.sendPaused();
  }

  private sendPaused(): void {
    if (this.mediaChannel?.readyState !== "open") return;
    const msg: MediaPausedMsg = { v: 1, t: "paused", ...this.paused };
    this.mediaChannel.send(JSON.stringify(msg));
  }

  start(): void {
    if (webrtcMissing()) return this.events.state("unsupported", { why: "noWebrtc" });
    this.stopped = false;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.retryTimer);
    if (this.pc) this.fail(this.pc, { why: "stopped" });
  }

  private async connect(): Promise<void> {
    this.events.state(this.session === undefined && this.lastMessageAt === 0 ? "connecting" : "reconnecting", null);
    let iceServers: RTCIceServer[] = [];
    try {
      const res = await fetch("api/ice-servers", { credentials: "same-origin" });
      if (res.status === 401) return this.unauthorized();
      if (res.ok) iceServers = (await res.json()) as RTCIceServer[];
    } catch {
      // The POST below reports the real problem.
    }
    const pc = new RTCPeerConnection({ iceServers });
    this.pc = pc;
    try {
      const { video, audio } = this.media();
      for (let i = 0; i < video; i++) pc.addTransceiver("video", { direction: "recvonly" });
      for (let i = 0; i < audio; i++) pc.addTransceiver("audio", { direction: "recvonly" });
      pc.ontrack = (e) => {
        const stream = e.streams[0] ?? new MediaStream([e.track]);
        this.events.track(stream.id, stream);
      };
      // Newest frame wins: unordered and never retransmitted, so a slow link skips frames.
      const thermal = pc.createDataChannel(THERMAL_LABEL, { ordered: false, maxRetransmits: 0 });
      thermal.binaryType = "arraybuffer";
      thermal.onmessage = (e: MessageEvent) => {
        if (e.data instanceof ArrayBuffer) this.events.thermal(e.data);
      };
      const spectrum = pc.createDataChannel(SPECTRUM_LABEL, { ordered: false, maxRetransmits: 0 });
      spectrum.binaryType = "arraybuffer";
      spectrum.onmessage = (e: MessageEvent) => {
        if (e.data instanceof ArrayBuffer) this.events.spectrum(e.data);
      };
      const media = pc.createDataChannel(MEDIA_LABEL);
      media.onopen = () => this.sendPaused();
      this.mediaChannel = media;
      const alerts = pc.createDataChannel(ALERTS_LABEL);
      alerts.onmessage = (e: MessageEvent) => {
        try {
          const msg = JSON.parse(String(e.data)) as AlertsMessage;
          if (msg.v === 1) this.events.alerts(msg);
        } catch {
          // Ignore what cannot be decoded; the next snapshot repairs the view.
        }
      };
      const dc = pc.createDataChannel(TELEMETRY_LABEL);
      dc.onmessage = (e: MessageEvent) => {
        this.lastMessageAt = performance.now();
        if (this.restartedAt !== 0) {
          this.restartedAt = 0;
          this.events.state("connected", null);
        }
        const msg = typeof e.data === "string" ? decodeTelemetry(e.data) : undefined;
        if (msg) this.events.message(msg);
      };
      dc.onopen = () => {
        this.retryDelay = 1000;
        this.events.state("connected", null);
      };
      dc.onclose = () => this.fail(pc, { why: "channelClosed" });
      pc.oniceconnectionstatechange = () => {
        if (pc.iceConnectionState === "disconnected" && !this.restarting) void this.restartIce(pc);
      };
      pc.onconnectionstatechange = () => {
        document.body.dataset.peer = pc.connectionState;
        if (pc.connectionState === "failed" || pc.connectionState === "closed") this.fail(pc, { why: pc.connectionState === "failed" ? "connectionFailed" : "connectionClosed" });
      };
      await pc.setLocalDescription(await pc.createOffer());
      await gatheringDone(pc, 2000);
      // What this page does not need yet, so that joining starts no encoder it would pause at once.
      const paused = pausedQuery(this.paused);
      const res = await fetch(paused ? `whep?paused=${encodeURIComponent(paused)}` : "whep", {
        method: "POST",
        headers: { "Content-Type": "application/sdp" },
        body: pc.localDescription!.sdp,
        credentials: "same-origin",
      });
      if (res.status === 401) throw new Unauthorized();
      if (res.status !== 201) throw new Error(`gateway answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
      this.session = res.headers.get("Location") ?? undefined;
      this.etag = res.headers.get("ETag") ?? "";
      this.answer = await res.text();
      await pc.setRemoteDescription({ type: "answer", sdp: this.answer });
      this.lastMessageAt = performance.now();
      // Silence (Wi-Fi gone, a blackout): restart ICE on the same session first, which keeps the
      // data channels and what they still had to deliver; a new session only if that does not help.
      this.watchdog = window.setInterval(() => {
        const now = performance.now();
        if (now - this.lastMessageAt <= SILENCE_MS) return;
        if (this.restartedAt === 0) void this.restartIce(pc);
        else if (now - this.restartedAt > RESTART_GRACE_MS) this.fail(pc, { why: "noData" });
      }, 1000);
    } catch (err) {
      if (err instanceof Unauthorized) return this.unauthorized();
      this.fail(pc, { why: "error", arg: (err as Error).message });
    }
  }

  /**
   * The network changed under us (Wi-Fi roaming, a new address): ask the gateway for an ICE
   * restart on the same session (WHEP PATCH) before giving up and starting a new one.
   */
  private async restartIce(pc: RTCPeerConnection): Promise<void> {
    if (!this.session || this.restarting) return;
    this.restarting = true;
    if (this.restartedAt === 0) {
      this.restartedAt = performance.now();
      this.events.state("reconnecting", { why: "restartingIce" });
    }
    try {
      pc.restartIce();
      await pc.setLocalDescription(await pc.createOffer());
      await gatheringDone(pc, 2000);
      const sdp = pc.localDescription!.sdp;
      const pick = (re: RegExp) => re.exec(sdp)?.[1] ?? "";
      const mid = pick(/a=mid:(\S+)/);
      const frag = [`a=ice-ufrag:${pick(/a=ice-ufrag:(\S+)/)}`, `a=ice-pwd:${pick(/a=ice-pwd:(\S+)/)}`, `a=mid:${mid}`, ...sdp.split("\r\n").filter((l) => l.startsWith("a=candidate:")), "a=end-of-candidates", ""].join("\r\n");
      const res = await fetch(this.session, { method: "PATCH", headers: { "Content-Type": "application/trickle-ice-sdpfrag", "If-Match": this.etag }, body: frag, credentials: "same-origin" });
      if (pc !== this.pc) return;
      // The gateway no longer knows the session (it restarted, or dropped it): start a new one now.
      if (res.status !== 200) return this.fail(pc, { why: "restartRefused", arg: res.status });
      this.etag = res.headers.get("ETag") ?? this.etag;
      const answerFrag = await res.text();
      const ufrag = /a=ice-ufrag:(\S+)/.exec(answerFrag)?.[1];
      const pwd = /a=ice-pwd:(\S+)/.exec(answerFrag)?.[1];
      this.answer = this.answer
        .split("\r\n")
        .filter((l) => !l.startsWith("a=candidate:") && l !== "a=end-of-candidates")
        .map((l) => (l.startsWith("a=ice-ufrag:") ? `a=ice-ufrag:${ufrag}` : l.startsWith("a=ice-pwd:") ? `a=ice-pwd:${pwd}` : l))
        .join("\r\n");
      await pc.setRemoteDescription({ type: "answer", sdp: this.answer });
      for (const line of answerFrag.split("\r\n").filter((l) => l.startsWith("a=candidate:"))) await pc.addIceCandidate({ candidate: line.slice(2), sdpMid: mid });
    } catch (err) {
      // Refused outright (the gateway is down): a new session; otherwise the watchdog falls back to one.
      if (err instanceof TypeError) this.fail(pc, { why: "error", arg: err.message });
    } finally {
      this.restarting = false;
    }
  }

  private unauthorized(): void {
    this.stop();
    this.events.unauthorized();
  }

  private fail(pc: RTCPeerConnection, reason: LinkDetail): void {
    if (pc !== this.pc) return;
    this.pc = undefined;
    this.restartedAt = 0;
    window.clearInterval(this.watchdog);
    pc.close();
    if (this.session) {
      void fetch(this.session, { method: "DELETE", credentials: "same-origin" }).catch(() => {});
      this.session = undefined;
    }
    if (this.stopped) return;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(10_000, this.retryDelay * 2);
    this.events.state("reconnecting", { ...reason, retryS: Math.round(delay / 1000) });
    this.retryTimer = window.setTimeout(() => void this.connect(), delay);
  }
}
