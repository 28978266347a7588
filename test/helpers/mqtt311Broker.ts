import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { generate, parser, type IConnectPacket } from "mqtt-packet";

/**
 * A minimal broker that speaks only MQTT 3.1.1, as older plant brokers do: a CONNECT for protocol
 * version 5 gets CONNACK return code 1 (unacceptable protocol version) and the connection is closed.
 * Mosquitto cannot be configured to refuse MQTT 5, nor to ignore a client's Maximum Packet Size, so
 * this stands in for such a broker. The test decides what it publishes.
 */
export class Mqtt311Broker {
  /** The protocol version of every CONNECT received, in order. */
  readonly connects: number[] = [];
  private readonly server: Server = createServer((socket) => this.accept(socket));
  private subscriber: Socket | undefined;

  get url(): string {
    return `mqtt://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get subscribed(): boolean {
    return this.subscriber !== undefined && !this.subscriber.destroyed;
  }

  start(): Promise<void> {
    return new Promise((resolve) => this.server.listen(0, "127.0.0.1", resolve));
  }

  async stop(): Promise<void> {
    this.subscriber?.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  publish(topic: string, payload: string): void {
    this.subscriber?.write(generate({ cmd: "publish", topic, payload, qos: 0, dup: false, retain: false }));
  }

  /**
   * Streams a PUBLISH announcing payloadBytes to the subscriber as fast as the socket takes it,
   * until it is sent or the client cuts the connection; resolves with the payload bytes written.
   */
  async publishHuge(topic: string, payloadBytes: number): Promise<number> {
    const socket = this.subscriber;
    if (!socket) throw new Error("nobody subscribed");
    const topicBytes = Buffer.from(topic);
    const remaining = 2 + topicBytes.length + payloadBytes;
    const header = Buffer.concat([Buffer.from([0x30, ...variableByteInteger(remaining)]), Buffer.from([topicBytes.length >> 8, topicBytes.length & 0xff]), topicBytes]);
    socket.write(header);
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    let written = 0;
    while (written < payloadBytes && !socket.destroyed) {
      const piece = chunk.subarray(0, Math.min(chunk.length, payloadBytes - written));
      written += piece.length;
      if (!socket.write(piece)) {
        await new Promise<void>((resolve) => {
          socket.once("drain", resolve);
          socket.once("close", resolve);
        });
      }
    }
    return written;
  }

  private accept(socket: Socket): void {
    socket.on("error", () => socket.destroy());
    const packets = parser();
    packets.on("error", () => socket.destroy());
    packets.on("packet", (packet) => {
      if (packet.cmd === "connect") {
        const version = (packet as IConnectPacket).protocolVersion ?? 4;
        this.connects.push(version);
        if (version !== 4) {
          socket.end(Buffer.from([0x20, 0x02, 0x00, 0x01]));
          return;
        }
        socket.write(generate({ cmd: "connack", returnCode: 0, sessionPresent: false }));
      } else if (packet.cmd === "subscribe") {
        socket.write(generate({ cmd: "suback", messageId: packet.messageId, granted: packet.subscriptions.map(() => 0) }));
        this.subscriber = socket;
      } else if (packet.cmd === "pingreq") {
        socket.write(generate({ cmd: "pingresp" }));
      } else if (packet.cmd === "disconnect") {
        socket.end();
      }
    });
    socket.on("data", (data) => packets.parse(data));
  }
}

/** MQTT's variable byte integer (a packet's remaining length). */
export function variableByteInteger(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return out;
}
