import type { Logger } from "../../common/logger.js";
import type { Source, SourceSink } from "../types.js";
import { AudioCapture } from "./capture.js";
import type { MicrophoneOptions } from "./schema.js";

/** A microphone on a machine part, through ALSA (or a raw audio file or FIFO). */
export class MicrophoneSource implements Source {
  readonly id: string;
  readonly capture: AudioCapture;

  constructor(options: MicrophoneOptions, sink: SourceSink, log: Logger) {
    this.id = options.id;
    const input =
      options.input === "alsa"
        ? { kind: "alsa" as const, device: options.device, sampleRate: options.sampleRate, channels: options.channels, channel: options.channel }
        : { kind: "rawaudio" as const, path: options.device };
    this.capture = new AudioCapture(
      { id: options.id, name: options.name ?? options.id, source: options.id, staleAfterMs: options.staleAfter },
      input,
      options.bitrateKbps,
      sink,
      log,
      options.bands,
    );
  }

  start(): void {
    void this.capture.start();
  }

  stop(): Promise<void> {
    return this.capture.stop();
  }
}
