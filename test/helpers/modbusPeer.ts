import { createServer, connect, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { SerialPort } from "serialport";
import { Proc } from "./processes.js";
import { waitFor } from "./ports.js";

const SCRIPT = join(import.meta.dirname, "../peers/modbus_peer.py");

export type RegisterMap = { size?: number; sparse?: boolean; units: Record<string, Partial<Record<"holding" | "input" | "coil" | "discrete", Record<string, number[]>>>> };

/** A real Modbus slave (pymodbus, test/peers/modbus_peer.py) on a pty or on 127.0.0.1; stop() and start() again to kill and restart it. */
export class ModbusPeer {
  private proc: Proc | undefined;

  constructor(
    private readonly bus: { rtu: string; baud?: number } | { tcp: number },
    private readonly map: RegisterMap,
  ) {}

  async start(): Promise<void> {
    const busArgs = "rtu" in this.bus ? ["--rtu", this.bus.rtu, "--baud", String(this.bus.baud ?? 9600)] : ["--tcp", String(this.bus.tcp)];
    // Debian's own interpreter: pymodbus is installed for it, not for any other python3 on the PATH.
    const proc = new Proc("/usr/bin/python3", [SCRIPT, ...busArgs, "--map", JSON.stringify(this.map)]);
    this.proc = proc;
    await waitFor(`modbus peer ready (${proc.stderr.slice(-300)})`, () => proc.stdout.includes("ready") || (!proc.running && Promise.reject(new Error(`modbus peer exited: ${proc.stderr}`))), 10_000);
  }

  /** Sends one stdin command and waits for its answer line. */
  async command(line: string): Promise<string> {
    const proc = this.proc!;
    const before = proc.stdout.length;
    proc.child.stdin!.write(`${line}\n`);
    const out = await waitFor(`peer answers "${line}"`, () => (proc.stdout.slice(before).includes("\n") ? proc.stdout.slice(before) : undefined), 5000, 10);
    return out.trim();
  }

  async requests(): Promise<Record<string, number>> {
    return JSON.parse(await this.command("requests")) as Record<string, number>;
  }

  async stop(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    await this.proc?.stop(signal);
  }
}

/**
 * Copies bytes between two ttys, as a cable would, but can flip one bit in the next reply:
 * the line noise a real RS-485 bus sees.
 */
export class CorruptingRelay {
  private readonly a: SerialPort;
  private readonly b: SerialPort;
  private corrupt = 0;

  constructor(gatewaySide: string, deviceSide: string) {
    this.a = new SerialPort({ path: gatewaySide, baudRate: 9600, autoOpen: false });
    this.b = new SerialPort({ path: deviceSide, baudRate: 9600, autoOpen: false });
    this.a.on("data", (d: Buffer) => this.b.write(d));
    this.b.on("data", (d: Buffer) => {
      if (this.corrupt > 0 && d.length > 3) {
        this.corrupt--;
        d = Buffer.from(d);
        d[3] ^= 0x10;
      }
      this.a.write(d);
    });
  }

  async open(): Promise<void> {
    for (const p of [this.a, this.b]) await new Promise<void>((resolve, reject) => p.open((err) => (err ? reject(err) : resolve())));
  }

  corruptNextReplies(n: number): void {
    this.corrupt += n;
  }

  async close(): Promise<void> {
    for (const p of [this.a, this.b]) if (p.isOpen) await new Promise<void>((resolve) => p.close(() => resolve()));
  }
}

/** A TCP relay on 127.0.0.1 that can reset the connections through it, as a switch or a PLC's stack does. */
export class ResettingRelay {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(target: number) {
    this.server = createServer((client) => {
      const upstream = connect(target, "127.0.0.1");
      this.sockets.add(client);
      client.on("close", () => (this.sockets.delete(client), upstream.destroy()));
      upstream.on("close", () => client.destroy());
      for (const s of [client, upstream]) s.on("error", () => {});
      client.pipe(upstream).pipe(client);
    });
  }

  listen(port: number): Promise<void> {
    return new Promise((resolve) => this.server.listen(port, "127.0.0.1", resolve));
  }

  /** Sends RST on every connection the gateway has through it. */
  reset(): void {
    for (const s of this.sockets) s.resetAndDestroy();
  }

  close(): Promise<void> {
    this.reset();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
