import type { EventEmitter } from "node:events";
import modbusSerial from "modbus-serial";
import { Backoff } from "../../common/backoff.js";
import type { Logger } from "../../common/logger.js";
import { describeSerialError } from "../serial/reconnectingPort.js";
import type { ModbusFunction } from "./address.js";
import type { ModbusSourceOptions } from "./schema.js";

// The package is CommonJS and sets module.exports.default to itself, which is what its types describe.
const ModbusRTU = modbusSerial.default;
type Client = InstanceType<typeof ModbusRTU>;

export type BusOptions = Pick<ModbusSourceOptions, "id" | "transport" | "path" | "baudRate" | "parity" | "dataBits" | "stopBits" | "host" | "port" | "timeout">;

/** What one request brought back; failures are sorted by what the gateway does about them. */
export type ReadOutcome =
  | { ok: true; words: number[]; bits: boolean[] }
  | { ok: false; failure: "timeout" | "corrupt" | "closed"; message: string }
  | { ok: false; failure: "exception"; code: number; message: string };

export interface BusEvents {
  opened(): void;
  lost(reason: string): void;
}

const DEFAULTS = { baudRate: 9600, parity: "none", dataBits: 8, stopBits: 1, port: 502 } as const;

/** How the bus is named in messages: "/dev/ttyUSB0 9600 8N1" or "plc.local:502". */
export function describeBus(o: BusOptions): string {
  if (o.transport === "tcp") return `${o.host}:${o.port ?? DEFAULTS.port}`;
  const parity = (o.parity ?? DEFAULTS.parity)[0].toUpperCase();
  return `${o.path} ${o.baudRate ?? DEFAULTS.baudRate} ${o.dataBits ?? DEFAULTS.dataBits}${parity}${o.stopBits ?? DEFAULTS.stopBits}`;
}

/**
 * One Modbus bus (a serial line or a TCP connection) that is never fatal to lose: it reopens
 * with capped backoff, since modbus-serial never reconnects by itself. Requests go one at a
 * time, because concurrent requests on one RTU line collide; on RTU each is followed by the
 * 3.5-character silence that ends a frame for every device on the line.
 */
export class ModbusBus {
  private client: Client | undefined;
  private open = false;
  private stopped = true;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly backoff = new Backoff(500, 10_000);
  private queue: Promise<unknown> = Promise.resolve();
  private readonly frameGapMs: number;

  constructor(
    private readonly o: BusOptions,
    private readonly events: BusEvents,
    private readonly log: Logger,
    /** Reopen after a loss; doctor's one-shot check does not. */
    private readonly reconnect = true,
  ) {
    const baud = o.baudRate ?? DEFAULTS.baudRate;
    this.frameGapMs = o.transport === "rtu" ? Math.max(2, Math.ceil((3.5 * 11 * 1000) / baud)) : 0;
  }

  get isOpen(): boolean {
    return this.open;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    this.open = false;
    if (client) await close(client);
  }

  /** Waits for the requests before it; each settles within the timeout and a little. */
  read(unitId: number, fn: ModbusFunction, address: number, count: number): Promise<ReadOutcome> {
    const next = this.queue.then(() => this.request(unitId, fn, address, count));
    this.queue = next.then(() => (this.frameGapMs ? new Promise((r) => setTimeout(r, this.frameGapMs)) : undefined));
    return next;
  }

  private request(unitId: number, fn: ModbusFunction, address: number, count: number): Promise<ReadOutcome> {
    const client = this.client;
    if (!client || !this.open) return Promise.resolve({ ok: false, failure: "closed", message: "the bus is not open" });
    return new Promise((resolve) => {
      let settled = false;
      const done = (err: unknown, reply?: { data: number[] | boolean[] }) => {
        if (settled) return;
        settled = true;
        clearTimeout(guard);
        if (err || !reply) return resolve(this.failed(client, err));
        const bits = fn === "coil" || fn === "discrete";
        resolve({ ok: true, words: bits ? [] : (reply.data as number[]), bits: bits ? (reply.data as boolean[]) : [] });
      };
      // modbus-serial drops a pending callback when its port is destroyed: never wait longer than this.
      const guard = setTimeout(() => done(new Error("Timed out")), this.o.timeout + 200);
      const call = { coil: client.writeFC1, discrete: client.writeFC2, holding: client.writeFC3, input: client.writeFC4 }[fn];
      try {
        call.call(client, unitId, address, count, done as never);
      } catch (err) {
        done(err);
      }
    });
  }

  private failed(client: Client, err: unknown): ReadOutcome {
    const e = err as { name?: string; message?: string; errno?: string; modbusCode?: number };
    const message = e.message ?? String(err);
    // A TCP connection reset says nothing: modbus-serial only stops calling itself open. The
    // request then times out or finds the port closed, and the loss must not pass for a silent unit.
    if (!client.isOpen || e.name === "PortNotOpenError") {
      this.lost(client, new Error(this.o.transport === "tcp" ? "connection closed" : "port closed"));
      return { ok: false, failure: "closed", message: "the bus is not open" };
    }
    if (e.errno === "ETIMEDOUT" || message === "Timed out") return { ok: false, failure: "timeout", message: `no answer within ${this.o.timeout} ms` };
    if (e.modbusCode !== undefined) return { ok: false, failure: "exception", code: e.modbusCode, message };
    // CRC errors, wrong lengths, replies from another unit or to another function: a garbled frame.
    return { ok: false, failure: "corrupt", message };
  }

  private connect(): void {
    const o = this.o;
    const client = new ModbusRTU();
    this.client = client;
    client.on("error", (err: unknown) => this.lost(client, err as Error));
    client.on("close", () => this.lost(client, new Error(o.transport === "tcp" ? "connection closed" : "port closed")));
    const connectMs = Math.max(3000, o.timeout);
    const deadline = setTimeout(() => this.lost(client, new Error(`no connection within ${connectMs} ms`)), connectMs);
    const opening =
      o.transport === "rtu"
        ? client.connectRTUBuffered(o.path!, { baudRate: o.baudRate ?? DEFAULTS.baudRate, parity: o.parity ?? DEFAULTS.parity, dataBits: o.dataBits ?? DEFAULTS.dataBits, stopBits: o.stopBits ?? DEFAULTS.stopBits })
        : client.connectTCP(o.host!, { port: o.port ?? DEFAULTS.port });
    opening.then(
      () => {
        clearTimeout(deadline);
        if (client !== this.client) return void close(client);
        client.setTimeout(o.timeout);
        this.open = true;
        this.backoff.reset();
        this.log.info({ source: o.id, bus: describeBus(o) }, "Modbus bus open");
        this.events.opened();
      },
      (err: Error) => {
        clearTimeout(deadline);
        this.lost(client, err);
      },
    );
  }

  private lost(client: Client, err: Error): void {
    if (this.stopped || client !== this.client) return;
    this.client = undefined;
    this.open = false;
    void close(client);
    const reason = this.o.transport === "rtu" ? describeSerialError(this.o.path!, err) : describeTcpError(describeBus(this.o), err);
    this.events.lost(reason);
    if (!this.reconnect) return;
    const delay = this.backoff.next();
    this.log.warn({ source: this.o.id, retryInMs: delay }, reason);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }
}

function describeTcpError(where: string, err: Error): string {
  const msg = err.message || String(err);
  if (/ECONNREFUSED/.test(msg)) return `${where}: connection refused: is the device on and its Modbus TCP server enabled? (${msg})`;
  if (/EHOSTUNREACH|ENETUNREACH|no connection within/.test(msg)) return `${where}: unreachable: check the address and the network (${msg})`;
  if (/ENOTFOUND|EAI_AGAIN/.test(msg)) return `${where}: unknown host name (${msg})`;
  return `${where}: ${msg}`;
}

/** Closes whatever state the client is in; never throws, always settles. */
function close(client: Client): Promise<void> {
  // It is an EventEmitter, though its types do not say so.
  (client as unknown as EventEmitter).removeAllListeners();
  client.on("error", () => {});
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 1000);
    const finish = () => {
      clearTimeout(timer);
      resolve();
    };
    try {
      if (client.isOpen) client.close(finish);
      else client.destroy(finish);
    } catch {
      finish();
    }
  });
}
