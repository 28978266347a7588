import { gatheringDone } from "./connection.js";

export type LiveState = { state: "connecting" } | { state: "live" } | { state: "failed"; reason: string };

/** A picture decoded by then, or the machine counts as unreachable for live media. */
const FIRST_PICTURE_MS = 10_000;

export interface LiveOut {
  state(s: LiveState): void;
  video: HTMLVideoElement;
  /** The sound's level, 0 (−60 dBFS or less) to 1 (0 dBFS), several times a second. */
  level(value: number): void;
}

/**
 * One plant view tile's live media: a WHEP session of its own, straight from this browser to the
 * machine's gateway (its pinned URL), with a plant token that this page's gateway issues for it:
 * the thermal video, and the microphone as a level. Not relayed through the plant view's gateway.
 */
export class LiveSession {
  private pc: RTCPeerConnection | undefined;
  private resource: string | undefined;
  /** The token the session was made with, to leave it: once that has expired (minutes), the gateway notices the browser gone by itself. */
  private bearer = "";
  private sink: HTMLAudioElement | undefined;
  private audio: AudioContext | undefined;
  private levels = 0;
  private timer = 0;
  private stopped = false;

  constructor(
    private readonly url: string,
    private readonly token: () => Promise<string>,
    private readonly out: LiveOut,
    private readonly reasons: { unreachable(error: string): string; refused(status: number, error: string): string; noPicture(seconds: number): string },
  ) {}

  /** Call from the click that asks for it: the level's AudioContext may run only after a gesture. */
  async start(): Promise<void> {
    this.out.state({ state: "connecting" });
    this.audio = new AudioContext();
    void this.audio.resume().catch(() => undefined);
    try {
      await this.connect();
    } catch (err) {
      this.fail((err as Error).message);
    }
  }

  /** Every await may find the tile stopped meanwhile: then nothing is left open, here or there. */
  private async connect(): Promise<void> {
    const token = await this.token();
    this.bearer = token;
    if (this.stopped) return;
    const pc = new RTCPeerConnection();
    this.pc = pc;
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.addTransceiver("audio", { direction: "recvonly" });
    pc.ontrack = (e) => (e.track.kind === "video" ? this.showVideo(e.track) : this.meter(e.track));
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === "failed") this.fail(this.reasons.unreachable("the WebRTC connection failed"));
    };
    await pc.setLocalDescription(await pc.createOffer());
    await gatheringDone(pc, 2000);
    if (this.stopped) return;
    let res: Response;
    try {
      res = await fetch(new URL("whep", this.url), { method: "POST", credentials: "omit", headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/sdp" }, body: pc.localDescription!.sdp });
    } catch (err) {
      return this.fail(this.reasons.unreachable((err as Error).message));
    }
    if (res.status !== 201) return this.fail(this.reasons.refused(res.status, (await res.text()).slice(0, 200)));
    this.resource = new URL(res.headers.get("Location") ?? "", this.url).href;
    if (this.stopped) return this.leave();
    await pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
    this.timer = window.setTimeout(() => this.fail(this.reasons.noPicture(FIRST_PICTURE_MS / 1000)), FIRST_PICTURE_MS);
  }

  /** Ends the session on the machine's gateway now, rather than when it notices; also as the page unloads. */
  private leave(): void {
    const resource = this.resource;
    this.resource = undefined;
    if (resource) void fetch(resource, { method: "DELETE", credentials: "omit", keepalive: true, headers: { Authorization: `Bearer ${this.bearer}` } }).catch(() => undefined);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    window.clearTimeout(this.timer);
    window.clearInterval(this.levels);
    this.leave();
    this.pc?.close();
    if (this.sink) this.sink.srcObject = null;
    void this.audio?.close().catch(() => undefined);
  }

  private fail(reason: string): void {
    if (this.stopped) return;
    this.stop();
    this.out.state({ state: "failed", reason });
  }

  private showVideo(track: MediaStreamTrack): void {
    const video = this.out.video;
    video.srcObject = new MediaStream([track]);
    video.addEventListener(
      "loadeddata",
      () => {
        window.clearTimeout(this.timer);
        if (!this.stopped) this.out.state({ state: "live" });
      },
      { once: true },
    );
    void video.play().catch(() => undefined);
  }

  /**
   * The sound's level: the decoded samples through an AnalyserNode where the AudioContext runs
   * (after the click), else the energy the browser's statistics count as it plays the track out.
   * The track plays at volume 0 in an element of its own, which Chromium needs for either.
   */
  private meter(track: MediaStreamTrack): void {
    const stream = new MediaStream([track]);
    this.sink = new Audio();
    this.sink.volume = 0;
    this.sink.srcObject = stream;
    void this.sink.play().catch(() => undefined);
    const show = (dbfs: number) => this.out.level(Math.min(1, Math.max(0, (dbfs + 60) / 60)));
    if (this.audio?.state === "running") {
      const analyser = this.audio.createAnalyser();
      analyser.fftSize = 2048;
      this.audio.createMediaStreamSource(stream).connect(analyser);
      const samples = new Float32Array(analyser.fftSize);
      this.levels = window.setInterval(() => {
        analyser.getFloatTimeDomainData(samples);
        let sum = 0;
        for (const v of samples) sum += v * v;
        show(10 * Math.log10(sum / samples.length || 1e-12));
      }, 100);
      return;
    }
    let last = { energy: 0, seconds: 0 };
    this.levels = window.setInterval(() => {
      void this.pc?.getStats(track).then((stats) =>
        stats.forEach((s: { type: string; kind?: string; totalAudioEnergy?: number; totalSamplesDuration?: number }) => {
          if (s.type !== "inbound-rtp" || s.kind !== "audio" || s.totalAudioEnergy === undefined || !s.totalSamplesDuration || s.totalSamplesDuration <= last.seconds) return;
          show(10 * Math.log10((s.totalAudioEnergy - last.energy) / (s.totalSamplesDuration - last.seconds) || 1e-12));
          last = { energy: s.totalAudioEnergy, seconds: s.totalSamplesDuration };
        }),
      );
    }, 250);
  }
}
