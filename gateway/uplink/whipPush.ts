import { MediaStream, RTCPeerConnection, useH264, useOPUS, useVP8 } from "werift";
import { Backoff } from "../../common/backoff.js";
import type { Logger } from "../../common/logger.js";
import type { SharedTrack } from "../media/thermalVideo.js";

/** An endpoint that answered but never completes ICE (it died, or sent no usable candidate) is given up on after this. */
const CONNECT_TIMEOUT_MS = 15_000;

export interface WhipConfig {
  url: string;
  token?: string;
  videoCodec: "vp8" | "h264";
}

/**
 * Publishes the gateway's tracks (thermal video, microphones) to a WHIP endpoint such as
 * MediaMTX or LiveKit, so a server fans out to many remote viewers while the Pi encodes once.
 * A lost or refused session is retried with capped backoff.
 */
export class WhipPush {
  private pc: RTCPeerConnection | undefined;
  private resource: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private acquired: SharedTrack[] = [];
  private readonly backoff = new Backoff(1000, 60_000);
  state: "connecting" | "connected" | "retrying" = "connecting";

  constructor(
    private readonly config: WhipConfig,
    private readonly tracks: () => SharedTrack[],
    private readonly log: Logger,
  ) {}

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.teardown();
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.config.token ? { Authorization: `Bearer ${this.config.token}` } : {}), ...extra };
  }

  private async connect(): Promise<void> {
    this.state = "connecting";
    const pc = new RTCPeerConnection({
      iceServers: [],
      iceUseIpv6: false,
      // WHIP endpoints must accept BUNDLE. With werift's default policy the offer opens one
      // transport per track and those left over after bundling are never closed: every
      // reconnect would leak their UDP sockets.
      bundlePolicy: "max-bundle",
      codecs: { video: [this.config.videoCodec === "vp8" ? useVP8() : useH264()], audio: [useOPUS()] },
    });
    this.pc = pc;
    try {
      for (const t of this.tracks()) {
        pc.addTransceiver(t.track, { direction: "sendonly", streams: [new MediaStream({ id: t.streamId })] });
        t.acquire();
        this.acquired.push(t);
      }
      if (this.acquired.length === 0) throw new Error("no camera or microphone to publish");
      const offer = await pc.createOffer();
      // Like viewer sessions: no public STUN server in a plant network.
      for (const transport of pc.iceTransports) transport.connection.stunServer = undefined;
      await pc.setLocalDescription(offer);
      const res = await fetch(this.config.url, {
        method: "POST",
        headers: this.headers({ "Content-Type": "application/sdp" }),
        body: pc.localDescription!.sdp,
        signal: AbortSignal.timeout(10_000),
        redirect: "manual",
      });
      if (res.status !== 201) throw new Error(`WHIP endpoint answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
      const location = res.headers.get("Location");
      this.resource = location ? new URL(location, this.config.url).toString() : undefined;
      await pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
      this.timer = setTimeout(() => void this.retry(pc, `did not connect within ${CONNECT_TIMEOUT_MS / 1000} s`), CONNECT_TIMEOUT_MS);
      pc.connectionStateChange.subscribe((state) => {
        if (state === "connected") {
          clearTimeout(this.timer);
          this.state = "connected";
          this.backoff.reset();
          this.log.info({ url: this.config.url, tracks: this.acquired.map((t) => t.streamId) }, "publishing to the WHIP endpoint");
        } else if (state === "failed" || state === "closed") {
          void this.retry(pc, `connection ${state}`);
        }
      });
    } catch (err) {
      void this.retry(pc, (err as Error).message);
    }
  }

  private async retry(pc: RTCPeerConnection, reason: string): Promise<void> {
    if (pc !== this.pc || this.stopped) return;
    clearTimeout(this.timer);
    await this.teardown();
    this.state = "retrying";
    const delay = this.backoff.next();
    this.log.warn({ url: this.config.url, retryInMs: delay }, `WHIP publish: ${reason}`);
    this.timer = setTimeout(() => void this.connect(), delay);
  }

  private async teardown(): Promise<void> {
    const pc = this.pc;
    this.pc = undefined;
    for (const t of this.acquired.splice(0)) t.release();
    if (this.resource) {
      await fetch(this.resource, { method: "DELETE", headers: this.headers(), signal: AbortSignal.timeout(5000) }).catch(() => {});
      this.resource = undefined;
    }
    await pc?.close();
  }
}
