import { createSocket, type Socket } from "node:dgram";
import { MediaStreamTrack, RtpPacket } from "werift";
import { SupervisedFfmpeg } from "../../common/ffmpeg.js";
import type { Logger } from "../../common/logger.js";
import type { ThermalFrame } from "../../sensors/index.js";
import type { Hub } from "../hub/hub.js";
import { colourise, followRange, paletteLut, VIDEO_RANGE_TAU_MS, type ColourRange } from "../protocol/thermal.js";
import { thermalEncoderArgs } from "./encoderArgs.js";
import type { VideoConfig } from "./schema.js";

/** A media track viewers can receive; started on demand and shared by all of them. */
export interface SharedTrack {
  kind: "video" | "audio";
  /** Becomes the track's msid stream id, so the browser knows which camera or microphone it is. */
  streamId: string;
  track: MediaStreamTrack;
  packetsOut: number;
  bytesOut: number;
  acquire(): void;
  release(): void;
}

/**
 * One camera's colourised video: frames are coloured once, encoded once by one ffmpeg, and the
 * RTP is forwarded by werift to every viewer. The encoder runs only while someone watches.
 */
export class ThermalVideo implements SharedTrack {
  readonly kind = "video" as const;
  readonly track = new MediaStreamTrack({ kind: "video" });
  private viewers = 0;
  private encoder: SupervisedFfmpeg | undefined;
  private socket: Socket | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private newRun = true;
  private auto: ColourRange | undefined;
  private readonly lut: Uint8Array;
  private rgb: Uint8Array | undefined;
  /** Frames not encoded because ffmpeg was still busy with earlier ones. */
  framesDropped = 0;
  packetsOut = 0;
  bytesOut = 0;

  constructor(
    readonly streamId: string,
    private readonly hub: Hub,
    private readonly config: VideoConfig,
    private readonly log: Logger,
  ) {
    this.lut = paletteLut(config.palette);
  }

  acquire(): void {
    this.viewers++;
    clearTimeout(this.idleTimer);
    if (!this.unsubscribe) void this.startPipeline();
  }

  release(): void {
    this.viewers = Math.max(0, this.viewers - 1);
    if (this.viewers === 0) this.idleTimer = setTimeout(() => void this.stopPipeline(), this.config.idleStop * 1000);
  }

  async stop(): Promise<void> {
    clearTimeout(this.idleTimer);
    await this.stopPipeline();
    this.track.stop();
  }

  private async startPipeline(): Promise<void> {
    this.unsubscribe = this.hub.subscribe((e) => {
      if (e.type === "frame" && e.camera === this.streamId) this.frame(e.frame);
    });
    const socket = createSocket("udp4");
    this.socket = socket;
    socket.on("message", (packet) => this.rtp(packet));
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  }

  private encoderSize = "";

  private ensureEncoder(frame: ThermalFrame): void {
    const size = `${frame.width}x${frame.height}`;
    if (this.encoder && this.encoderSize !== size) {
      void this.encoder.stop();
      this.encoder = undefined;
    }
    if (this.encoder || !this.socket) return;
    this.encoderSize = size;
    const port = this.socket.address().port;
    this.encoder = new SupervisedFfmpeg(
      `encoder ${this.streamId}`,
      thermalEncoderArgs(frame.width, frame.height, port, this.config),
      { started: () => (this.newRun = true) },
      this.log,
      { stdin: true },
    );
    this.encoder.start();
    this.log.info({ camera: this.streamId, codec: this.config.codec }, "thermal video encoder started");
  }

  private frame(frame: ThermalFrame): void {
    this.ensureEncoder(frame);
    if (!this.rgb || this.rgb.length !== frame.width * frame.height * 3) this.rgb = new Uint8Array(frame.width * frame.height * 3);
    const [lo, hi] = this.range(frame);
    colourise(frame.celsius, lo, hi, this.lut, this.rgb, 3);
    if (!this.encoder!.write(Buffer.from(this.rgb))) this.framesDropped++;
  }

  /** Fixed, or following the scene smoothly so the picture does not flicker (the dashboard follows it the same way). */
  private range(frame: ThermalFrame): [number, number] {
    if (this.config.range) return this.config.range;
    let min = Infinity;
    let max = -Infinity;
    for (const v of frame.celsius) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    this.auto = followRange(this.auto, min, max, frame.ts, VIDEO_RANGE_TAU_MS);
    return [this.auto.lo, this.auto.hi];
  }

  private rtp(packet: Buffer): void {
    if (packet.length < 12 || (packet[1] & 0x7f) !== 96) return;
    if (this.newRun) {
      // A restarted encoder starts new sequence numbers and timestamps; keep viewers' timelines continuous.
      this.track.notifySourceChanged(RtpPacket.deSerialize(packet).header);
      this.newRun = false;
    }
    this.packetsOut++;
    this.bytesOut += packet.length;
    this.track.writeRtp(packet);
  }

  private async stopPipeline(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    const encoder = this.encoder;
    this.encoder = undefined;
    this.socket?.close();
    this.socket = undefined;
    if (encoder) {
      await encoder.stop();
      this.log.info({ camera: this.streamId }, "thermal video encoder stopped (no viewers)");
    }
  }
}
