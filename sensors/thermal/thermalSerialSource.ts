import { LineSplitter } from "../common/lineSplitter.js";
import { ReconnectingPort } from "../serial/reconnectingPort.js";
import type { Logger } from "../../common/logger.js";
import type { Source, SourceSink } from "../types.js";
import { ThermalAnalyzer } from "./analyzer.js";
import { BinaryFrameParser } from "./binaryFrame.js";
import { parseCsvFrame } from "./csvFrame.js";
import type { ThermalSerialOptions } from "./schema.js";

/** An MLX90640-style sensor behind a microcontroller on a serial port. */
export class ThermalSerialSource implements Source {
  readonly id: string;
  private readonly port: ReconnectingPort;

  constructor(options: ThermalSerialOptions, sink: SourceSink, log: Logger) {
    this.id = options.id;
    const analyzer = new ThermalAnalyzer(
      { id: options.id, name: options.name ?? options.id, source: options.id, width: options.width, height: options.height, rois: options.rois, staleAfterMs: options.staleAfter },
      sink,
      log,
    );
    let decode: (chunk: Buffer) => void;
    let reset: () => void;
    if (options.format === "binary") {
      const parser = new BinaryFrameParser();
      decode = (chunk) => {
        for (const e of parser.push(chunk)) "frame" in e ? analyzer.frame(e.frame) : sink.reject(e.reject, "");
      };
      reset = () => parser.reset();
    } else {
      // 768 values of up to ~8 characters each: allow generous lines.
      const splitter = new LineSplitter(options.width * options.height * 12 + 64);
      let seq = 0;
      decode = (chunk) => {
        for (const piece of splitter.push(chunk)) {
          if ("overflow" in piece) {
            sink.reject(`line longer than a frame can be (${piece.overflow} bytes)`, "");
            continue;
          }
          if (piece.line.trim() === "") continue;
          const frame = parseCsvFrame(piece.line, options.width, options.height, seq++, Date.now());
          if (typeof frame === "string") sink.reject(frame, piece.line.slice(0, 80));
          else analyzer.frame(frame);
        }
      };
      reset = () => splitter.reset();
    }
    this.port = new ReconnectingPort(options.id, options.path, options.baudRate, { data: decode, opened: reset, status: (s) => sink.status(s) }, log);
  }

  start(): void {
    this.port.start();
  }

  stop(): Promise<void> {
    return this.port.stop();
  }
}
