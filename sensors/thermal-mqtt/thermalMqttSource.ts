import type { Logger } from "../../common/logger.js";
import { redactUrl } from "../../common/mqttBroker.js";
import { Subscriber } from "../mqtt/subscriber.js";
import { ThermalAnalyzer } from "../thermal/analyzer.js";
import type { Source, SourceSink } from "../types.js";
import { decodeFrame, formatName, maxPayloadBytes } from "./frameFormat.js";
import { FrameAssembler } from "./frameParts.js";
import type { ThermalMqttOptions } from "./schema.js";

/**
 * A thermal camera whose frames an ESP32 or a Pi publishes to a broker, one frame per message.
 * Decoded frames go through the same analyzer as the serial and UVC cameras.
 */
export class ThermalMqttSource implements Source {
  readonly id: string;
  private readonly subscriber: Subscriber;
  private readonly analyzer: ThermalAnalyzer;
  private readonly assembler: FrameAssembler | undefined;
  private seq = 0;
  private delivering = false;
  /** Empty on MQTT 5; says what a 3.1.1-only broker cannot do. */
  private protocolNote = "";

  constructor(
    private readonly options: ThermalMqttOptions,
    private readonly sink: SourceSink,
    log: Logger,
  ) {
    this.id = options.id;
    if (options.format.split) this.assembler = new FrameAssembler(options.format.encoding, options.width, options.height);
    this.analyzer = new ThermalAnalyzer(
      { id: options.id, name: options.name ?? options.id, source: options.id, width: options.width, height: options.height, rois: options.rois, staleAfterMs: options.staleAfter },
      sink,
      log,
    );
    this.subscriber = new Subscriber(
      options.id,
      options,
      [options.topic],
      options.qos,
      maxPayloadBytes(options.format, options.width * options.height),
      {
        message: (topic, payload) => this.message(topic, payload),
        subscribed: (note) => {
          this.delivering = false;
          this.protocolNote = note;
          sink.status({ state: "up", detail: `${this.where()}: subscribed, no frame yet${note}` });
        },
        refused: (reason) => sink.reject(`connection cut: ${reason}`, ""),
        status: (status) => sink.status(status),
      },
      log,
    );
  }

  start(): void {
    this.subscriber.start();
  }

  stop(): Promise<void> {
    return this.subscriber.stop();
  }

  private message(topic: string, payload: Buffer): void {
    const { width, height, format } = this.options;
    const sample = format.base64 || format.split || format.encoding === "json" ? payload.toString("latin1", 0, 80) : "";
    if (this.assembler) {
      for (const e of this.assembler.push(payload)) "frame" in e ? this.deliver(e.frame) : this.sink.reject(`${topic}: ${e.reject}`, sample);
      return;
    }
    const celsius = decodeFrame(payload, format, width, height);
    if (typeof celsius === "string") this.sink.reject(`${topic}: ${celsius}`, sample);
    else this.deliver(celsius);
  }

  private deliver(celsius: Float32Array): void {
    const { width, height, format } = this.options;
    if (!this.delivering) this.sink.status({ state: "up", detail: `${this.where()}: ${width}×${height} ${formatName(format)} frames${this.protocolNote}` });
    this.delivering = true;
    this.analyzer.frame({ width, height, seq: this.seq++, ts: Date.now(), celsius });
  }

  private where(): string {
    return `${redactUrl(this.options.url)} ${this.options.topic}`;
  }
}
