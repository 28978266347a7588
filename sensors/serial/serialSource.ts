import { SerialPort } from "serialport";
import { z } from "zod";
import { Backoff } from "../common/backoff.js";
import { durationSchema, fieldSchema, sourceIdSchema } from "../common/schemas.js";
import type { Logger, Source, SourceSink } from "../types.js";
import { lineFormatSchema } from "./lineFormat.js";
import { LineIngest } from "./lineIngest.js";

export const BAUD_RATES = [9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600] as const;

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

/**
 * A line-protocol sensor board on a serial port. A missing or vanished device is never fatal:
 * the source reports "down" and reopens the port with capped backoff until it is back.
 */
export class SerialSource implements Source {
  readonly id: string;
  private port: SerialPort | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = true;
  private readonly backoff = new Backoff(500, 10_000);
  private readonly ingest: LineIngest;

  constructor(
    private readonly options: SerialSourceOptions,
    private readonly sink: SourceSink,
    private readonly log: Logger,
  ) {
    this.id = options.id;
    this.ingest = new LineIngest(options.format, options.fields, sink, options.maxLineBytes);
    for (const spec of Object.values(options.fields)) {
      sink.channel({
        id: spec.channel,
        name: spec.name ?? spec.channel,
        unit: spec.unit,
        source: options.id,
        staleAfterMs: options.staleAfter,
      });
    }
  }

  start(): void {
    this.stopped = false;
    this.sink.status({ state: "starting", detail: `opening ${this.options.path}` });
    this.open();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  private open(): void {
    const { path, baudRate } = this.options;
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    this.port = port;
    port.on("data", (chunk: Buffer) => this.ingest.push(chunk));
    port.on("error", (err) => this.lost(port, err));
    port.on("close", (err?: Error) => this.lost(port, err ?? new Error("port closed")));
    port.open((err) => {
      if (err) return this.lost(port, err);
      this.backoff.reset();
      this.ingest.reset();
      this.log.info({ source: this.id, path, baudRate }, "serial port open");
      this.sink.status({ state: "up", detail: `${path} at ${baudRate} baud` });
    });
  }

  private lost(port: SerialPort, err: Error): void {
    if (this.stopped || port !== this.port) return;
    this.port = undefined;
    port.removeAllListeners();
    port.on("error", () => {});
    if (port.isOpen) port.close(() => {});
    const delay = this.backoff.next();
    const detail = describeSerialError(this.options.path, err);
    this.log.warn({ source: this.id, retryInMs: delay }, detail);
    this.sink.status({ state: "down", detail });
    this.retryTimer = setTimeout(() => this.open(), delay);
  }
}

function describeSerialError(path: string, err: Error): string {
  const msg = err.message;
  if (/ENOENT|No such file/i.test(msg)) return `${path} not found: is the board plugged in? (${msg})`;
  if (/EACCES|Permission denied/i.test(msg)) return `${path}: permission denied; add the gateway's user to the dialout group (${msg})`;
  if (/EBUSY|Resource busy|Cannot lock/i.test(msg)) return `${path} is busy: another program has it open (${msg})`;
  return `${path}: ${msg}`;
}
