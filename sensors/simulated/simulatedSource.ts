import { z } from "zod";
import { sourceIdSchema, type FieldSpec } from "../common/schemas.js";
import { AudioCapture } from "../audio/capture.js";
import { LineIngest } from "../serial/lineIngest.js";
import { ThermalAnalyzer } from "../thermal/analyzer.js";
import { BinaryFrameParser, encodeBinaryFrame } from "../thermal/binaryFrame.js";
import type { Logger } from "../../common/logger.js";
import type { Source, SourceSink } from "../types.js";
import { MachineModel, SIM_CHANNELS } from "./machineModel.js";
import { SoundModel } from "./soundModel.js";
import { renderScene, SCENE, SCENE_ROIS } from "./thermalScene.js";

export const simulatedSourceSchema = z
  .object({
    id: sourceIdSchema,
    type: z.literal("simulated"),
    rateHz: z.number().min(0.1).max(200).default(5),
    scenario: z.enum(["normal", "overheat"]).default("normal"),
    seed: z.number().int().default(1),
    /** Frames per second of the simulated 32×24 thermal camera; 0 turns it off. */
    thermalFps: z.number().min(0).max(30).default(8),
    /** A simulated microphone on the spindle housing (needs ffmpeg, like a real one). */
    microphone: z.boolean().default(true),
  })
  .strict();
export type SimulatedSourceOptions = z.output<typeof simulatedSourceSchema>;

/**
 * A simulated sensor board. It prints a CSV header and CSV rows exactly as a microcontroller
 * on a serial port would, and the bytes go through the same LineIngest as real serial data.
 */
export class SimulatedSource implements Source {
  readonly id: string;
  private timer: NodeJS.Timeout | undefined;
  private thermalTimer: NodeJS.Timeout | undefined;
  private readonly thermal: { parser: BinaryFrameParser; analyzer: ThermalAnalyzer } | undefined;
  private frameCounter = 0;
  private readonly sound: { capture: AudioCapture; model: SoundModel } | undefined;
  private soundTimer: NodeJS.Timeout | undefined;
  private readonly model: MachineModel;
  private readonly ingest: LineIngest;

  constructor(
    private readonly options: SimulatedSourceOptions,
    private readonly sink: SourceSink,
    private readonly log: Logger,
  ) {
    this.id = options.id;
    this.model = new MachineModel(options.scenario, options.seed);
    const fields: Record<string, FieldSpec> = {};
    for (const c of SIM_CHANNELS) {
      fields[c.field] = { channel: c.channel, name: c.name, unit: c.unit, scale: 1, offset: 0 };
      sink.channel({ id: c.channel, name: c.name, unit: c.unit, group: c.group, source: options.id, staleAfterMs: Math.max(2000, 5000 / options.rateHz) });
    }
    this.ingest = new LineIngest({ type: "csv", delimiter: "," }, fields, sink);
    if (options.thermalFps > 0) {
      const camera = { id: options.id, name: "Spindle housing", source: options.id, ...SCENE, rois: SCENE_ROIS, staleAfterMs: Math.max(2000, 4000 / options.thermalFps) };
      this.thermal = { parser: new BinaryFrameParser(), analyzer: new ThermalAnalyzer(camera, sink, log) };
    }
    if (options.microphone) {
      const mic = { id: options.id, name: "Spindle microphone", source: options.id, staleAfterMs: 5000 };
      this.sound = {
        capture: new AudioCapture(mic, { kind: "pipe" }, 32, sink, log, [{ name: "whine", low: 2800, high: 3600 }]),
        model: new SoundModel(() => Math.random()),
      };
    }
  }

  start(): void {
    const periodMs = 1000 / this.options.rateHz;
    this.ingest.push(Buffer.from(`${SIM_CHANNELS.map((c) => c.field).join(",")}\r\n`));
    this.sink.status({ state: "up", detail: `simulated machine, ${this.options.rateHz} Hz, scenario ${this.options.scenario}` });
    this.log.info({ source: this.id, scenario: this.options.scenario }, "simulated machine started");
    // The machine runs in real time however late the timer fires on a loaded machine: each tick
    // sends every row that is due, as a board with its own clock would (after a suspension it
    // skips ahead instead of bursting).
    let started = performance.now();
    let sent = 0;
    this.timer = setInterval(() => {
      const due = Math.floor((performance.now() - started) / periodMs);
      if (due - sent > this.options.rateHz) {
        started = performance.now() - periodMs;
        sent = 0;
        return;
      }
      for (; sent < due; sent++) {
        const temps = this.model.step(periodMs / 1000);
        this.ingest.push(Buffer.from(`${SIM_CHANNELS.map((c) => temps[c.field].toFixed(2)).join(",")}\r\n`));
      }
    }, periodMs);
    if (this.thermal) this.thermalTimer = setInterval(() => this.thermalFrame(), 1000 / this.options.thermalFps);
    if (this.sound) this.startSound(this.sound);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.thermalTimer);
    clearInterval(this.soundTimer);
    this.timer = undefined;
    await this.sound?.capture.stop();
  }

  /** Writes exactly real-time audio, however the timer jitters, into the capture's ffmpeg. */
  private startSound({ capture, model }: { capture: AudioCapture; model: SoundModel }): void {
    void capture.start();
    let started = performance.now();
    let written = 0;
    // A tenth of a second per write, as a sound card hands over its capture periods (arecord's
    // default period is 125 ms): each write wakes the gateway and ffmpeg, and 40 ms writes cost the
    // idle demo gateway about 0.4 % of a core more. A listener's browser gets the Opus frames in
    // bursts of five, which its jitter buffer absorbs at the cost of a little more delay.
    this.soundTimer = setInterval(() => {
      const due = Math.floor(((performance.now() - started) / 1000) * model.sampleRate);
      if (due - written > model.sampleRate) {
        // Far behind (the process was suspended): skip ahead instead of bursting.
        started = performance.now();
        written = 0;
        return;
      }
      if (due <= written) return;
      const chunk = model.render(due - written, this.model.temperatures.bearing, this.model.load());
      written = due;
      capture.write(chunk);
    }, 100);
  }

  /** Renders the scene and sends it as the binary frames a serial thermal sensor would. */
  private thermalFrame(): void {
    const { parser, analyzer } = this.thermal!;
    const celsius = renderScene(this.model.temperatures, this.model.elapsed, () => this.model.noise());
    const bytes = encodeBinaryFrame(SCENE.width, SCENE.height, this.frameCounter++, celsius);
    for (const e of parser.push(bytes)) "frame" in e ? analyzer.frame(e.frame) : this.sink.reject(e.reject, "");
  }
}
