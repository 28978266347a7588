import { createSocket, type Socket } from "node:dgram";
import { SupervisedFfmpeg } from "../../common/ffmpeg.js";
import { FixedChunks } from "../common/fixedChunks.js";
import type { Logger } from "../../common/logger.js";
import type { MicInfo, SourceSink } from "../types.js";
import { AudioAnalyzer, octaveBands, type Band } from "./analysis.js";

export const ANALYSIS_RATE = 16_000;
/** Ten analyses per second. */
const BLOCK = ANALYSIS_RATE / 10;

export type CaptureInput =
  | { kind: "alsa"; device: string; sampleRate: number; channels: number; channel: number }
  | { kind: "rawaudio"; path: string }
  | { kind: "pipe" };

/** The fixed ffmpeg command: one capture, Opus RTP for listening and 16 kHz PCM for analysis. */
export function captureArgs(input: CaptureInput, rtpPort: number, bitrateKbps: number): string[] {
  const noProbe = ["-probesize", "32", "-analyzeduration", "0", "-fflags", "nobuffer"];
  let source: string[];
  let pick = "";
  if (input.kind === "alsa") {
    source = ["-f", "alsa", "-sample_rate", String(input.sampleRate), "-channels", String(input.channels), "-i", input.device];
    if (input.channels > 1) pick = `pan=mono|c0=c${input.channel - 1},`;
  } else if (input.kind === "rawaudio") {
    source = ["-protocol_whitelist", "file,pipe", "-f", "s16le", "-ar", "48000", "-ac", "1", "-i", `file:${input.path}`];
  } else {
    source = ["-f", "s16le", "-ar", "48000", "-ac", "1", "-i", "pipe:0"];
  }
  return [
    "-hide_banner", "-loglevel", "error", ...(input.kind === "pipe" ? [] : ["-nostdin"]), ...noProbe, ...source,
    // The analysis branch leaves ffmpeg in whole 100 ms blocks: ten pipe writes a second instead of
    // about 45, each of which wakes the gateway (measured: 1.1 → 0.6 % of a core for the reader).
    "-filter_complex", `[0:a]${pick}asplit=2[listen][a];[a]aresample=${ANALYSIS_RATE},asetnsamples=n=${BLOCK}:p=0[analyse]`,
    "-map", "[listen]", "-c:a", "libopus", "-ar", "48000", "-ac", "1", "-b:a", `${bitrateKbps}k`, "-application", "lowdelay", "-frame_duration", "20",
    "-f", "rtp", "-payload_type", "111", `rtp://127.0.0.1:${rtpPort}?pkt_size=1200`,
    "-map", "[analyse]", "-ac", "1", "-f", "s16le", "-flush_packets", "1", "pipe:1",
  ];
}

/**
 * A microphone captured once by ffmpeg: Opus RTP goes to the sink as a media stream, and the
 * 16 kHz PCM is analysed ten times a second into level, peak and band channels and a
 * spectrogram column. ffmpeg is supervised: a missing or busy device is reported and retried.
 */
export class AudioCapture {
  private ffmpeg: SupervisedFfmpeg | undefined;
  private socket: Socket | undefined;
  private readonly analyzer: AudioAnalyzer;
  private readonly blocks = new FixedChunks(BLOCK * 2);
  private delivering = false;

  constructor(
    private readonly mic: MicInfo,
    private readonly input: CaptureInput,
    private readonly bitrateKbps: number,
    private readonly sink: SourceSink,
    private readonly log: Logger,
    extraBands: Band[] = [],
  ) {
    this.analyzer = new AudioAnalyzer(ANALYSIS_RATE, [...octaveBands(ANALYSIS_RATE), ...extraBands]);
    sink.microphone(mic);
    const base = `mic.${mic.id}`;
    const declare = (id: string, name: string) => sink.channel({ id, name, unit: "dB", source: mic.source, staleAfterMs: mic.staleAfterMs });
    declare(`${base}.level_db`, `${mic.name} level`);
    declare(`${base}.peak_db`, `${mic.name} peak`);
    // Octave bands are named by their centre ("1k"); configured bands by what they catch ("whine").
    for (const b of this.analyzer.bands) declare(`${base}.band_${b.name}_db`, `${mic.name} ${b.name}${/^\d/.test(b.name) ? " Hz" : ""} band`);
  }

  get ffmpegPid(): number | undefined {
    return this.ffmpeg?.pid;
  }

  async start(): Promise<void> {
    const socket = createSocket("udp4");
    this.socket = socket;
    socket.on("message", (packet) => this.sink.rtp(this.mic.id, packet));
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    this.ffmpeg = new SupervisedFfmpeg(
      `microphone ${this.mic.id}`,
      captureArgs(this.input, socket.address().port, this.bitrateKbps),
      {
        started: () => {
          this.blocks.reset();
          this.delivering = false;
          this.sink.status({ state: "starting", detail: `capturing ${this.describe()}` });
        },
        stdout: (chunk) => this.data(chunk),
        exited: (reason) => this.sink.status({ state: "down", detail: reason }),
      },
      this.log,
      // A sound card that stops delivering without ffmpeg exiting is restarted too.
      { stdin: this.input.kind === "pipe", stallMs: 5000 },
    );
    this.ffmpeg.start();
  }

  /** For a pipe input: 48 kHz mono s16le samples. False when ffmpeg is not taking them. */
  write(samples: Buffer): boolean {
    return this.ffmpeg?.write(samples) ?? false;
  }

  async stop(): Promise<void> {
    await this.ffmpeg?.stop();
    this.socket?.close();
  }

  private describe(): string {
    return this.input.kind === "alsa" ? `ALSA device ${this.input.device}` : this.input.kind === "rawaudio" ? this.input.path : "the simulated machine";
  }

  private data(chunk: Buffer): void {
    for (const block of this.blocks.push(chunk)) {
      const samples = new Float32Array(BLOCK);
      for (let i = 0; i < BLOCK; i++) samples[i] = block.readInt16LE(i * 2) / 32768;
      this.analyse(samples);
    }
  }

  private analyse(samples: Float32Array): void {
    if (!this.delivering) this.sink.status({ state: "up", detail: `${this.describe()}, Opus ${this.bitrateKbps} kbit/s` });
    this.delivering = true;
    const ts = Date.now();
    const r = this.analyzer.analyse(samples, ts);
    const base = `mic.${this.mic.id}`;
    const round = (v: number) => Math.round(v * 100) / 100;
    this.sink.reading({ channel: `${base}.level_db`, value: round(r.levelDb), ts });
    this.sink.reading({ channel: `${base}.peak_db`, value: round(r.peakDb), ts });
    this.analyzer.bands.forEach((b, i) => this.sink.reading({ channel: `${base}.band_${b.name}_db`, value: round(r.bands[i]), ts }));
    this.sink.spectrum(this.mic.id, r.spectrum);
  }
}
