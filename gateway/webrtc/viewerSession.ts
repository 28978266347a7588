import { randomBytes } from "node:crypto";
import { MediaStream, RTCIceParameters, RTCPeerConnection, useH264, useOPUS, useVP8, type RTCDataChannel, type RTCRtpSender, type PeerConfig } from "werift";
import type { Logger } from "../../common/logger.js";
import type { SharedTrack } from "../media/thermalVideo.js";
import { MEDIA_LABEL } from "../protocol/media.js";
import type { ChannelStats } from "./channelStats.js";
import type { TurnConfig } from "./iceServers.js";
import { parsePaused, trackKey } from "./mediaPause.js";
import type { MessageOut } from "./telemetryStream.js";

/** A per-viewer feed on one data channel (telemetry, alerts, …). */
export interface DataStream {
  start(): void;
  stop(): void;
}

/** What a session shows: everything, or one source (POST /whep/:source); and the tracks it starts paused (trackKey, POST /whep?paused=…). */
export interface Scope {
  source?: string;
  paused?: ReadonlySet<string>;
}

/** Data-channel label → how to feed a channel with that label. */
export type StreamFactories = Record<string, (out: MessageOut, scope: Scope) => DataStream>;

/** Channels the gateway opens itself (those of them the viewer has not) when a player offered a data section but no telemetry channel. */
const GATEWAY_OPENED = ["telemetry", "alerts"];

export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export interface RtcSettings {
  iceServers: IceServer[];
  portRange?: [number, number];
  additionalHostAddresses: string[];
  ipv6: boolean;
  /** A viewer that has not connected by then, or stays disconnected that long, is dropped. */
  connectTimeoutMs: number;
  disconnectedTimeoutMs: number;
  videoCodec: "vp8" | "h264";
  turn?: TurnConfig;
}

export class BadOfferError extends Error {}
/** More ICE candidates than one session may have. */
export class TooManyCandidatesError extends Error {}
/** An ICE restart too soon after the last one. */
export class RestartTooSoonError extends Error {}

type RemoteCandidate = { candidate: string; sdpMid?: string };
/** What makes two candidates the same path: "transport address port". */
const candidateKey = (c: RemoteCandidate) => {
  const [, , transport, , address, port] = c.candidate.split(" ");
  return `${transport.toLowerCase()} ${address} ${port}`;
};

/** What one viewer may cost: media sections in its offer, ICE candidates it sends, channels it opens. */
export const SESSION_LIMITS = { mediaSections: 16, remoteCandidates: 32, dataChannels: 8, restartIntervalMs: 2000 } as const;
/** A viewer's media pauses and resumes take effect at most this often. */
const MEDIA_CHANGE_INTERVAL_MS = 1000;

/** Refuses an offer whose shape would cost more than one viewer should (before werift sees it). */
export function checkOfferCost(sdp: string): void {
  const sections = sdp.match(/^m=/gm)?.length ?? 0;
  if (sections > SESSION_LIMITS.mediaSections) throw new BadOfferError(`the offer has ${sections} media sections; at most ${SESSION_LIMITS.mediaSections}`);
  // Unbundled sections would each get an ICE transport and UDP sockets of their own.
  const bundled = /^a=group:BUNDLE((?: \S+)+)\s*$/m.exec(sdp)?.[1].trim().split(" ").length ?? 0;
  if (sections > 1 && bundled < sections) throw new BadOfferError("the offer must bundle all its media sections (a=group:BUNDLE), as browsers and WHEP players do");
  const candidates = new Set(sdp.match(/^a=candidate:.*$/gm) ?? []).size;
  if (candidates > SESSION_LIMITS.remoteCandidates) throw new BadOfferError(`the offer has ${candidates} candidates; at most ${SESSION_LIMITS.remoteCandidates}`);
}

function peerConfig(settings: RtcSettings, iceServers: IceServer[]): Partial<PeerConfig> {
  return {
    iceServers,
    icePortRange: settings.portRange,
    iceAdditionalHostAddresses: settings.additionalHostAddresses.length ? settings.additionalHostAddresses : undefined,
    iceUseIpv4: true,
    iceUseIpv6: settings.ipv6,
    iceStunGatherTimeout: 2,
    bundlePolicy: "max-bundle",
    // Exactly what the encoders produce: werift forwards RTP, it does not transcode.
    codecs: { video: [settings.videoCodec === "vp8" ? useVP8() : useH264()], audio: [useOPUS()] },
  };
}

const hasStun = (servers: IceServer[]) => servers.some((s) => [s.urls].flat().some((u) => u.startsWith("stun:")));

function dataChannelOut(dc: RTCDataChannel, stats: ChannelStats): MessageOut {
  dc.bufferedAmountLowThreshold = 64 * 1024;
  return {
    send: (data) => {
      if (dc.readyState !== "open") return;
      dc.send(data);
      stats.sent(dc.label, typeof data === "string" ? Buffer.byteLength(data) : data.length);
    },
    get bufferedAmount() {
      return dc.bufferedAmount;
    },
    onDrained: (callback) => {
      const sub = dc.bufferedAmountLow.subscribe(callback);
      return () => sub.unSubscribe();
    },
  };
}

/** One browser (or WHEP player) watching the gateway: one peer connection and its channels. */
export class ViewerSession {
  readonly id = randomBytes(16).toString("base64url");
  /** WHEP's entity tag for the session's ICE state; it changes with every ICE restart. */
  etag = `"${randomBytes(8).toString("hex")}"`;
  private remoteUfrag: string | undefined;
  private readonly pc: RTCPeerConnection;
  private readonly streams = new Set<DataStream>();
  /** The shared tracks this viewer receives, and whether it has paused each (it then holds none of them). */
  private readonly sending: Array<{ shared: SharedTrack; sender: RTCRtpSender; paused: boolean }> = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private closeListeners: Array<() => void> = [];
  private offeredData = false;
  private readonly labels = new Set<string>();
  /** Channels the gateway opened itself (GATEWAY_OPENED) and their streams, by label, until the viewer's own supersede them. */
  private readonly gatewayOpened = new Map<string, { dc: RTCDataChannel; stream: DataStream }>();
  /** Channels this session holds or held, less those of the gateway's it closed for the viewer's: bounded by SESSION_LIMITS.dataChannels. */
  private channels = 0;
  /** Remote candidates of the current ICE generation, as "transport address port", to drop repeats. */
  private readonly remoteCandidates = new Set<string>();
  private lastRestartAt = -Infinity;
  private mediaRefused = false;
  private wantPaused: ReadonlySet<string> = new Set<string>();
  private lastPauseAt = -Infinity;
  private pauseTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly settings: RtcSettings,
    private readonly iceServers: IceServer[],
    private readonly factories: StreamFactories,
    private readonly tracks: SharedTrack[],
    private readonly scope: Scope,
    private readonly stats: ChannelStats,
    private readonly log: Logger,
  ) {
    this.pc = new RTCPeerConnection(peerConfig(settings, iceServers));
    this.pc.onDataChannel.subscribe((dc) => {
      this.supersedeGatewayOpened(dc.label);
      this.attachChannel(dc);
    });
    this.pc.connectionStateChange.subscribe((state) => this.onState(state));
    this.timer = setTimeout(() => void this.close("did not connect in time"), settings.connectTimeoutMs);
  }

  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  /** Applies the viewer's offer and returns a complete answer (all candidates, no server trickle). */
  async answer(offerSdp: string): Promise<string> {
    this.addTracks(offerSdp);
    this.offeredData = /^m=application /m.test(offerSdp);
    try {
      await this.pc.setRemoteDescription({ type: "offer", sdp: offerSdp });
    } catch (err) {
      throw new BadOfferError(`offer rejected: ${(err as Error).message}`);
    }
    if (!hasStun(this.iceServers)) {
      // werift falls back to a public STUN server when none is configured; plants have no
      // internet, so without a configured STUN server gather host (and relay) candidates only.
      for (const transport of this.pc.iceTransports) transport.connection.stunServer = undefined;
    }
    try {
      await this.pc.setLocalDescription(await this.pc.createAnswer());
    } catch (err) {
      // werift validates some of the offer only here (a missing a=mid, say).
      throw new BadOfferError(`offer could not be answered: ${(err as Error).message}`);
    }
    const sdp = this.pc.localDescription?.sdp;
    if (!sdp) throw new Error("no local description after setLocalDescription");
    // Tracks the viewer asked for paused are detached only now: the answer describes them all.
    for (const t of this.sending) if (t.paused) void t.sender.replaceTrack(null);
    this.watchViewerLeaving();
    return sdp;
  }

  /**
   * A browser closing its peer connection sends an SCTP ABORT and a DTLS close_notify. werift
   * reports neither as a connection state, so without this a departed viewer's session would
   * linger until ICE consent fails (about 30 s), still sending media to nobody.
   */
  private watchViewerLeaving(): void {
    this.pc.sctpTransport?.sctp.stateChanged.closed.subscribe(() => void this.close("viewer closed the connection"));
    for (const dtls of this.pc.dtlsTransports) {
      dtls.onStateChange.subscribe((state) => {
        if (state === "closed") void this.close("viewer closed the connection");
      });
    }
  }

  /** Trickled candidates: repeats are dropped, and a generation takes at most SESSION_LIMITS.remoteCandidates. */
  async addIceCandidates(candidates: RemoteCandidate[]): Promise<void> {
    const fresh = new Map<string, RemoteCandidate>();
    for (const c of candidates) if (!this.remoteCandidates.has(candidateKey(c))) fresh.set(candidateKey(c), c);
    this.checkCandidateCount(this.remoteCandidates.size + fresh.size);
    for (const [key, c] of fresh) {
      this.remoteCandidates.add(key);
      await this.pc.addIceCandidate({ candidate: c.candidate, sdpMid: c.sdpMid });
    }
  }

  private checkCandidateCount(count: number): void {
    if (count > SESSION_LIMITS.remoteCandidates) throw new TooManyCandidatesError(`at most ${SESSION_LIMITS.remoteCandidates} candidates per session (or per ICE restart)`);
  }

  remoteIceUfrag(): string | undefined {
    return this.remoteUfrag ?? /^a=ice-ufrag:(.+)$/m.exec(this.pc.remoteDescription?.sdp ?? "")?.[1]?.trim();
  }

  /**
   * WHEP ICE restart (the viewer's network changed): new remote credentials and candidates in,
   * fresh local credentials and candidates out as an sdpfrag. DTLS and the data channels carry on.
   */
  async restartIce(ufrag: string, pwd: string, candidates: RemoteCandidate[]): Promise<string> {
    const transport = this.pc.iceTransports[0];
    if (!transport) throw new BadOfferError("this session has no ICE transport to restart");
    // Each restart gathers afresh (new sockets): one per interval is plenty for a roaming tablet.
    if (performance.now() - this.lastRestartAt < SESSION_LIMITS.restartIntervalMs) throw new RestartTooSoonError(`at most one ICE restart per ${SESSION_LIMITS.restartIntervalMs / 1000} s`);
    // Refused before anything changes: a restart half done would leave the session without ICE.
    this.checkCandidateCount(new Set(candidates.map(candidateKey)).size);
    this.lastRestartAt = performance.now();
    transport.restart();
    transport.setRemoteParams(new RTCIceParameters({ usernameFragment: ufrag, password: pwd }));
    await transport.gather();
    this.remoteUfrag = ufrag;
    this.etag = `"${randomBytes(8).toString("hex")}"`;
    this.remoteCandidates.clear();
    await this.addIceCandidates(candidates);
    transport.start().catch((err: Error) => this.log.warn({ session: this.id, err: err.message }, "ICE restart failed"));
    const local = transport.localParameters;
    const mid = /^a=mid:(\S+)/m.exec(this.pc.remoteDescription?.sdp ?? "")?.[1] ?? "0";
    const lines = [`a=ice-ufrag:${local.usernameFragment}`, `a=ice-pwd:${local.password}`, `a=mid:${mid}`];
    for (const c of transport.localCandidates) lines.push(`a=${c.toJSON().candidate}`);
    lines.push("a=end-of-candidates");
    this.log.info({ session: this.id }, "ICE restarted");
    return `${lines.join("\r\n")}\r\n`;
  }

  async close(reason: string): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    clearTimeout(this.pauseTimer);
    for (const stream of this.streams) stream.stop();
    this.streams.clear();
    for (const t of this.sending.splice(0)) if (!t.paused) t.shared.release();
    this.log.info({ session: this.id, reason }, "viewer session closed");
    for (const listener of this.closeListeners) listener();
    this.closeListeners = [];
    await this.pc.close().catch((err: Error) => this.log.warn({ session: this.id, err: err.message }, "closing peer connection"));
  }

  /**
   * werift pairs the offer's m-lines with transceivers added beforehand, kind by kind and in
   * order, so the n-th video m-line gets the n-th camera. Extra m-lines are answered inactive.
   */
  private addTracks(offerSdp: string): void {
    const mine = this.tracks.filter((t) => !this.scope.source || t.streamId === this.scope.source);
    const pool = { video: mine.filter((t) => t.kind === "video"), audio: mine.filter((t) => t.kind === "audio") };
    for (const [, kind] of offerSdp.matchAll(/^m=(audio|video) /gm)) {
      const shared = pool[kind as "audio" | "video"].shift();
      if (!shared) continue;
      const { sender } = this.pc.addTransceiver(shared.track, { direction: "sendonly", streams: [new MediaStream({ id: shared.streamId })] });
      const paused = this.scope.paused?.has(trackKey(shared.kind, shared.streamId)) ?? false;
      if (!paused) shared.acquire();
      this.sending.push({ shared, sender, paused });
    }
  }

  /**
   * The viewer's `media` message: tracks it does not need now get no RTP, and their shared
   * encoder is released (it stops `video.idleStop` seconds after nobody needs it). At most one
   * change a second is applied, the newest: a viewer toggling in a loop cannot restart encoders faster.
   * werift keeps each sender's sequence numbers continuous across the pause.
   */
  private pauseMedia(data: string | Buffer): void {
    const parsed = parsePaused(data);
    if ("error" in parsed) {
      // Once per session: a viewer sending nonsense in a loop must not fill the log.
      if (!this.mediaRefused) this.log.warn({ session: this.id, err: parsed.error }, "media message refused");
      this.mediaRefused = true;
      return;
    }
    this.wantPaused = parsed.paused;
    if (this.pauseTimer) return;
    const wait = this.lastPauseAt + MEDIA_CHANGE_INTERVAL_MS - performance.now();
    if (wait <= 0) return this.applyPaused();
    this.pauseTimer = setTimeout(() => {
      this.pauseTimer = undefined;
      this.applyPaused();
    }, wait);
  }

  private applyPaused(): void {
    if (this.closed) return;
    this.lastPauseAt = performance.now();
    for (const t of this.sending) {
      const paused = this.wantPaused.has(trackKey(t.shared.kind, t.shared.streamId));
      // A track stopped since (its source was removed) cannot be resumed.
      if (paused === t.paused || t.shared.track.stopped) continue;
      t.paused = paused;
      this.log.debug({ session: this.id, track: trackKey(t.shared.kind, t.shared.streamId) }, paused ? "track paused" : "track resumed");
      if (paused) t.shared.release();
      else t.shared.acquire();
      t.sender.replaceTrack(paused ? null : t.shared.track).catch((err: Error) => this.log.warn({ session: this.id, track: t.shared.streamId, err: err.message }, paused ? "pausing a track failed" : "resuming a track failed"));
    }
  }

  private onState(state: string): void {
    this.log.debug({ session: this.id, state }, "viewer connection state");
    // Whatever timer runs (not connected yet, or disconnected too long) keeps running while ICE tries.
    if (state === "new" || state === "connecting") return;
    clearTimeout(this.timer);
    if (state === "connected") {
      this.timer = setTimeout(() => this.openGatewayChannels(), 3000);
    }
    else if (state === "disconnected") this.timer = setTimeout(() => void this.close("disconnected too long"), this.settings.disconnectedTimeoutMs);
    else if (state === "failed" || state === "closed") void this.close(`connection ${state}`);
  }

  /**
   * A generic WHEP player offers a data section (or a channel of its own) but does not know our
   * labels: open telemetry and alerts from the gateway's side so it still gets them.
   */
  private openGatewayChannels(): void {
    this.timer = undefined;
    if (this.closed || !this.offeredData || this.labels.has("telemetry")) return;
    for (const label of GATEWAY_OPENED) {
      if (this.labels.has(label)) continue;
      const dc = this.pc.createDataChannel(label);
      const stream = this.attachChannel(dc);
      if (stream) this.gatewayOpened.set(label, { dc, stream });
    }
  }

  /**
   * On a lossy link a browser's own channels can arrive after the gateway opened its own: the
   * viewer listens on its own, so the gateway's copy would only double what the link carries.
   */
  private supersedeGatewayOpened(label: string): void {
    const own = this.gatewayOpened.get(label);
    if (!own) return;
    this.gatewayOpened.delete(label);
    this.channels--;
    own.stream.stop();
    this.streams.delete(own.stream);
    this.log.debug({ session: this.id, label }, "the viewer's own channel replaces the one the gateway opened");
    own.dc.close();
  }

  /** Feeds a channel by its label; returns its stream, if it has one. */
  private attachChannel(dc: RTCDataChannel): DataStream | undefined {
    if (++this.channels > SESSION_LIMITS.dataChannels) {
      this.log.warn({ session: this.id, label: dc.label }, `closing a data channel beyond the ${SESSION_LIMITS.dataChannels} a viewer may open`);
      dc.close();
      return undefined;
    }
    this.labels.add(dc.label);
    if (dc.label === MEDIA_LABEL) {
      dc.onMessage.subscribe((data) => this.pauseMedia(data));
      return undefined;
    }
    const factory = Object.hasOwn(this.factories, dc.label) ? this.factories[dc.label] : undefined;
    if (!factory) {
      this.log.debug({ session: this.id, label: dc.label }, "ignoring unknown data channel");
      return undefined;
    }
    const stream = factory(dataChannelOut(dc, this.stats), this.scope);
    this.streams.add(stream);
    // werift announces a remotely created channel before it is open; sends before that are lost.
    if (dc.readyState === "open") stream.start();
    dc.stateChanged.subscribe((state) => {
      // Not once superseded: werift may still report a closing channel open (a late acknowledgement).
      if (state === "open" && this.streams.has(stream)) stream.start();
      if (state === "closed") {
        stream.stop();
        this.streams.delete(stream);
      }
    });
    return stream;
  }
}
