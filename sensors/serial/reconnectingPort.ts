import { SerialPort } from "serialport";
import { Backoff } from "../../common/backoff.js";
import type { Logger } from "../../common/logger.js";
import type { SourceStatus } from "../types.js";

export interface PortEvents {
  data(chunk: Buffer): void;
  /** Called after every (re)open, so framing can start afresh. */
  opened(): void;
  status(status: SourceStatus): void;
}

/**
 * A serial port that is never fatal to lose: a missing, unplugged or busy device is reported
 * as down with a readable reason and reopened with capped backoff until it is back.
 */
export class ReconnectingPort {
  private port: SerialPort | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = true;
  private readonly backoff = new Backoff(500, 10_000);

  constructor(
    private readonly id: string,
    private readonly path: string,
    private readonly baudRate: number,
    private readonly events: PortEvents,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.stopped = false;
    this.events.status({ state: "starting", detail: `opening ${this.path}` });
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
    const port = new SerialPort({ path: this.path, baudRate: this.baudRate, autoOpen: false });
    this.port = port;
    port.on("data", (chunk: Buffer) => this.events.data(chunk));
    port.on("error", (err) => this.lost(port, err));
    port.on("close", (err?: Error) => this.lost(port, err ?? new Error("port closed")));
    port.open((err) => {
      if (err) return this.lost(port, err);
      this.backoff.reset();
      this.events.opened();
      this.log.info({ source: this.id, path: this.path, baudRate: this.baudRate }, "serial port open");
      this.events.status({ state: "up", detail: `${this.path} at ${this.baudRate} baud` });
    });
  }

  private lost(port: SerialPort, err: Error): void {
    if (this.stopped || port !== this.port) return;
    this.port = undefined;
    port.removeAllListeners();
    port.on("error", () => {});
    if (port.isOpen) port.close(() => {});
    const delay = this.backoff.next();
    const detail = describeSerialError(this.path, err);
    this.log.warn({ source: this.id, retryInMs: delay }, detail);
    this.events.status({ state: "down", detail });
    this.retryTimer = setTimeout(() => this.open(), delay);
  }
}

/** The OS error as an installer can act on it. */
export function describeSerialError(path: string, err: Error): string {
  const msg = err.message;
  if (/ENOENT|No such file/i.test(msg)) return `${path} not found: is the board plugged in? (${msg})`;
  if (/EACCES|Permission denied/i.test(msg)) return `${path}: permission denied; add the gateway's user to the dialout group (${msg})`;
  if (/EBUSY|Resource busy|Cannot lock/i.test(msg)) return `${path} is busy: another program has it open (${msg})`;
  return `${path}: ${msg}`;
}
