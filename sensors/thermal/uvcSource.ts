import { SupervisedFfmpeg } from "../../common/ffmpeg.js";
import { FixedChunks } from "../common/fixedChunks.js";
import type { Logger } from "../../common/logger.js";
import type { Source, SourceSink } from "../types.js";
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
  private readonly frames: FixedChunks;
  private seq = 0;
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
    this.frames = new FixedChunks(options.width * (options.height + options.telemetryRows) * 2);
    this.ffmpeg = new SupervisedFfmpeg(
      `camera ${options.id}`,
      uvcArgs(options),
      {
        started: () => {
          this.frames.reset();
          this.delivering = false;
          sink.status({ state: "starting", detail: `reading ${options.device}` });
        },
        stdout: (chunk) => this.data(chunk),
        exited: (reason) => sink.status({ state: "down", detail: reason }),
      },
      log,
      // A camera that stops delivering without exiting (a wedged USB device) is restarted too.
      { stallMs: Math.max(5000, 4000 / options.frameRate) },
    );
  }

  start(): void {
    this.ffmpeg.start();
  }

  stop(): Promise<void> {
    return this.ffmpeg.stop();
  }

  get ffmpegPid(): number | undefined {
    return this.ffmpeg.pid;
  }

  private data(chunk: Buffer): void {
    const { width, height, device } = this.options;
    for (const frame of this.frames.push(chunk)) {
      const celsius = new Float32Array(width * height);
      for (let i = 0; i < celsius.length; i++) celsius[i] = frame.readUInt16LE(i * 2) / 100 - KELVIN;
      if (!this.delivering) this.sink.status({ state: "up", detail: `${device}, ${width}×${height} Y16` });
      this.delivering = true;
      this.analyzer.frame({ width, height, seq: this.seq++, ts: Date.now(), celsius });
    }
  }
}
