import { SupervisedFfmpeg } from "../common/ffmpeg.js";
import type { Logger, Source, SourceSink } from "../types.js";
import { ThermalAnalyzer } from "./analyzer.js";
import type { ThermalUvcOptions } from "./schema.js";

const KELVIN = 273.15;

/** The fixed ffmpeg command for a Y16 camera; only validated configuration values go in. */
export function uvcArgs(o: ThermalUvcOptions): string[] {
  const size = `${o.width}x${o.height + o.telemetryRows}`;
  const input =
    o.input === "v4l2"
      ? ["-f", "v4l2", "-input_format", "gray16le", "-video_size", size, "-framerate", String(o.frameRate), "-i", o.device]
      : ["-protocol_whitelist", "file,pipe", "-f", "rawvideo", "-pix_fmt", "gray16le", "-video_size", size, "-framerate", String(o.frameRate), "-i", `file:${o.device}`];
  // The format is fully specified, so skip probing (it would hold back the first seconds of frames).
  const noProbe = ["-probesize", "32", "-analyzeduration", "0", "-fflags", "nobuffer"];
  return ["-hide_banner", "-loglevel", "error", "-nostdin", ...noProbe, ...input, "-an", "-c:v", "copy", "-f", "rawvideo", "-flush_packets", "1", "pipe:1"];
}

/**
 * A radiometric UVC camera (FLIR Lepton on a PureThermal board) read by ffmpeg in Y16:
 * each pixel is centikelvin, °C = v / 100 − 273.15.
 */
export class UvcThermalSource implements Source {
  readonly id: string;
  private readonly ffmpeg: SupervisedFfmpeg;
  private readonly analyzer: ThermalAnalyzer;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private seq = 0;
  private watchdog: NodeJS.Timeout | undefined;
  private lastFrameAt = 0;
  private delivering = false;

  constructor(
    private readonly options: ThermalUvcOptions,
    private readonly sink: SourceSink,
    log: Logger,
  ) {
    this.id = options.id;
    this.analyzer = new ThermalAnalyzer(
      { id: options.id, name: options.name ?? options.id, source: options.id, width: options.width, height: options.height, rois: options.rois, staleAfterMs: options.staleAfter },
      sink,
      log,
    );
    this.ffmpeg = new SupervisedFfmpeg(
      `camera ${options.id}`,
      uvcArgs(options),
      {
        started: () => {
          this.pending = [];
          this.pendingBytes = 0;
          this.delivering = false;
          this.lastFrameAt = Date.now();
          sink.status({ state: "starting", detail: `reading ${options.device}` });
        },
        stdout: (chunk) => this.data(chunk),
        exited: (reason) => sink.status({ state: "down", detail: reason }),
      },
      log,
    );
  }

  start(): void {
    this.ffmpeg.start();
    // A camera that stops delivering without exiting (a wedged USB device) is restarted too.
    this.watchdog = setInterval(() => {
      if (this.ffmpeg.running && Date.now() - this.lastFrameAt > Math.max(5000, 4000 / this.options.frameRate)) {
        this.sink.status({ state: "down", detail: `no frame from ${this.options.device} for 5 s` });
        this.lastFrameAt = Date.now();
        this.ffmpeg.restart("no frames");
      }
    }, 1000);
  }

  async stop(): Promise<void> {
    clearInterval(this.watchdog);
    await this.ffmpeg.stop();
  }

  get ffmpegPid(): number | undefined {
    return this.ffmpeg.pid;
  }

  private data(chunk: Buffer): void {
    const { width, height, telemetryRows } = this.options;
    const frameBytes = width * (height + telemetryRows) * 2;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < frameBytes) return;
    let buf = Buffer.concat(this.pending, this.pendingBytes);
    while (buf.length >= frameBytes) {
      const celsius = new Float32Array(width * height);
      for (let i = 0; i < celsius.length; i++) celsius[i] = buf.readUInt16LE(i * 2) / 100 - KELVIN;
      buf = buf.subarray(frameBytes);
      if (!this.delivering) this.sink.status({ state: "up", detail: `${this.options.device}, ${width}×${height} Y16` });
      this.delivering = true;
      this.lastFrameAt = Date.now();
      this.analyzer.frame({ width, height, seq: this.seq++, ts: Date.now(), celsius });
    }
    this.pending = buf.length ? [Buffer.from(buf)] : [];
    this.pendingBytes = buf.length;
  }
}
