import { z } from "zod";
import { sourceIdSchema, type FieldSpec } from "../common/schemas.js";
import { LineIngest } from "../serial/lineIngest.js";
import { ThermalAnalyzer } from "../thermal/analyzer.js";
import { BinaryFrameParser, encodeBinaryFrame } from "../thermal/binaryFrame.js";
import type { Logger, Source, SourceSink } from "../types.js";
import { MachineModel, SIM_CHANNELS } from "./machineModel.js";
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
      sink.channel({ id: c.channel, name: c.name, unit: c.unit, source: options.id, staleAfterMs: Math.max(2000, 5000 / options.rateHz) });
    }
    this.ingest = new LineIngest({ type: "csv", delimiter: "," }, fields, sink);
    if (options.thermalFps > 0) {
      const camera = { id: options.id, name: "Spindle housing", source: options.id, ...SCENE, rois: SCENE_ROIS, staleAfterMs: Math.max(2000, 4000 / options.thermalFps) };
      this.thermal = { parser: new BinaryFrameParser(), analyzer: new ThermalAnalyzer(camera, sink, log) };
    }
  }

  start(): void {
    const periodMs = 1000 / this.options.rateHz;
    this.ingest.push(Buffer.from(`${SIM_CHANNELS.map((c) => c.field).join(",")}\r\n`));
    this.sink.status({ state: "up", detail: `simulated machine, ${this.options.rateHz} Hz, scenario ${this.options.scenario}` });
    this.log.info({ source: this.id, scenario: this.options.scenario }, "simulated machine started");
    this.timer = setInterval(() => {
      const temps = this.model.step(periodMs / 1000);
      const row = SIM_CHANNELS.map((c) => temps[c.field].toFixed(2)).join(",");
      this.ingest.push(Buffer.from(`${row}\r\n`));
    }, periodMs);
    if (this.thermal) this.thermalTimer = setInterval(() => this.thermalFrame(), 1000 / this.options.thermalFps);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.thermalTimer);
    this.timer = undefined;
  }

  /** Renders the scene and sends it as the binary frames a serial thermal sensor would. */
  private thermalFrame(): void {
    const { parser, analyzer } = this.thermal!;
    const celsius = renderScene(this.model.temperatures, this.model.elapsed, () => this.model.noise());
    const bytes = encodeBinaryFrame(SCENE.width, SCENE.height, this.frameCounter++, celsius);
    for (const e of parser.push(bytes)) "frame" in e ? analyzer.frame(e.frame) : this.sink.reject(e.reject, "");
  }
}
