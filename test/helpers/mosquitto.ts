import { mkdtempSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NetNs } from "./netns.js";
import { freePort, waitFor } from "./ports.js";
import { Proc } from "./processes.js";

const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });

/** Inside a network namespace, which this process cannot connect into: asked from within. */
const canConnectIn = (ns: NetNs, port: number) =>
  ns.exec(`python3 -c "import socket; socket.create_connection(('127.0.0.1', ${port}), 1)"`).then(
    () => true,
    () => false,
  );

/** A real Mosquitto broker on a loopback port (of a network namespace, if given), restartable on the same port. */
export class Mosquitto {
  port = 0;
  /** Also listen for MQTT over WebSocket (as browsers use it) on this port when set. */
  wsPort = 0;
  /** Keep sessions and queued QoS 1 messages across restarts (persistence file in a temp dir). */
  persistent = false;
  private proc: Proc | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), "wachter-mqtt-"));

  constructor(private readonly ns?: NetNs) {}

  private reachable(): Promise<boolean> {
    return this.ns ? canConnectIn(this.ns, this.port) : canConnect(this.port);
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.port === 0) this.port = this.ns ? 1883 : await freePort();
    const conf = join(this.dir, "mosquitto.conf");
    const ws = this.wsPort ? `listener ${this.wsPort} 127.0.0.1\nprotocol websockets\n` : "";
    const persistence = this.persistent ? `persistence true\npersistence_location ${this.dir}/\nautosave_interval 1\n` : "persistence false\n";
    writeFileSync(conf, `listener ${this.port} 127.0.0.1\n${ws}allow_anonymous true\n${persistence}log_dest none\n`);
    const [cmd, args] = this.ns ? this.ns.wrap("mosquitto", ["-c", conf]) : ["mosquitto", ["-c", conf]];
    this.proc = new Proc(cmd, args);
    await waitFor(`mosquitto on port ${this.port}`, () => this.reachable(), 10_000, 100);
  }

  async stop(): Promise<void> {
    await this.proc?.stop("SIGTERM");
    await waitFor("mosquitto to close its port", async () => !(await this.reachable()), 5000, 100);
  }
}
