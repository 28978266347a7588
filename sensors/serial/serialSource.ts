import { z } from "zod";
import { durationSchema } from "../../common/durations.js";
import { fieldSchema, sourceIdSchema } from "../common/schemas.js";
import type { Logger } from "../../common/logger.js";
import type { Source, SourceSink } from "../types.js";
import { BAUD_RATES } from "./baudRates.js";
import { lineFormatSchema } from "./lineFormat.js";
import { LineIngest } from "./lineIngest.js";
import { ReconnectingPort } from "./reconnectingPort.js";

export { BAUD_RATES };

export const serialSourceSchema = z
  .object({
    id: sourceIdSchema,
    type: z.literal("serial"),
    /** Prefer /dev/serial/by-id/… : it survives replugging into another USB port. */
    path: z.string().regex(/^\/[A-Za-z0-9_./:+@-]+$/, "expected an absolute device path such as /dev/serial/by-id/usb-…"),
    baudRate: z.literal(BAUD_RATES, { error: "expected one of 9600…921600" }).default(115200),
    format: lineFormatSchema,
    fields: z.record(z.string().min(1), fieldSchema).refine((f) => Object.keys(f).length > 0, "map at least one field"),
    staleAfter: durationSchema.default(10_000),
    maxLineBytes: z.number().int().min(64).max(1 << 20).default(8192),
  })
  .strict();
export type SerialSourceOptions = z.output<typeof serialSourceSchema>;

/** A line-protocol sensor board on a serial port. */
export class SerialSource implements Source {
  readonly id: string;
  private readonly port: ReconnectingPort;

  constructor(options: SerialSourceOptions, sink: SourceSink, log: Logger) {
    this.id = options.id;
    const ingest = new LineIngest(options.format, options.fields, sink, options.maxLineBytes);
    for (const spec of Object.values(options.fields)) {
      sink.channel({ id: spec.channel, name: spec.name ?? spec.channel, unit: spec.unit, source: options.id, staleAfterMs: options.staleAfter, decimals: spec.decimals, group: spec.group });
    }
    this.port = new ReconnectingPort(
      options.id,
      options.path,
      options.baudRate,
      { data: (chunk) => ingest.push(chunk), opened: () => ingest.reset(), status: (s) => sink.status(s) },
      log,
    );
  }

  start(): void {
    this.port.start();
  }

  stop(): Promise<void> {
    return this.port.stop();
  }
}
