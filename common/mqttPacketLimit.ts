import type { IClientOptions, MqttClient } from "mqtt";

/** Room above a source's payload limit for the fixed header, topic, packet id and MQTT 5 properties of a PUBLISH. */
export const PUBLISH_OVERHEAD_BYTES = 4096;

/**
 * The largest packet the gateway's MQTT outputs accept: they only receive small control messages
 * (Home Assistant's status, Sparkplug NCMD and STATE), on topics anyone on the broker may publish to.
 */
export const OUTPUT_MAX_INCOMING_BYTES = 64 * 1024;

/**
 * Follows the MQTT framing of an incoming byte stream (every packet starts with a type byte and its
 * remaining length as a variable byte integer), so a packet larger than the limit is known from its
 * first few bytes, before its body arrives.
 */
export class PacketSizeWatch {
  private bodyLeft = 0;
  private header: number[] = [];

  constructor(private readonly maxBytes: number) {}

  /** The reason the stream must be cut (a packet over the limit, or a malformed length), or undefined. */
  check(chunk: Uint8Array): string | undefined {
    let i = 0;
    while (i < chunk.length) {
      if (this.bodyLeft > 0) {
        const n = Math.min(this.bodyLeft, chunk.length - i);
        this.bodyLeft -= n;
        i += n;
        continue;
      }
      const byte = chunk[i++];
      this.header.push(byte);
      if (this.header.length === 1 || byte & 0x80) {
        if (this.header.length === 5) return "malformed packet length";
        continue;
      }
      let remaining = 0;
      for (let k = this.header.length - 1; k >= 1; k--) remaining = remaining * 128 + (this.header[k] & 0x7f);
      const total = this.header.length + remaining;
      this.header = [];
      if (total > this.maxBytes) return `packet of ${total} bytes exceeds the limit of ${this.maxBytes}`;
      this.bodyLeft = remaining;
    }
    return undefined;
  }
}

type StreamBuilder = (client: MqttClient) => NodeJS.ReadWriteStream & { destroy(): void };

/** A WebSocket message may carry several MQTT packets, so it is allowed this much more than one packet. */
const WEBSOCKET_MESSAGE_ROOM = 1 << 20;

/**
 * Connects a client (built with `manualConnect: true`) so that every connection it opens is cut as
 * soon as an incoming packet announces more than maxBytes. mqtt.js (5.16) checks its own
 * maximumPacketSize only after mqtt-packet has buffered the whole packet, and a broker may ignore the
 * property (or speak only MQTT 3.1.1), so the bytes are watched on the stream instead. The chunk that
 * carries the header still reaches the parser; it is one socket read, not the packet. Over WebSocket,
 * ws would buffer a whole message first (up to 100 MiB by default), so its maxPayload is bounded too;
 * ws refuses a larger message from its frame header.
 */
export function connectWithPacketLimit(client: MqttClient, maxBytes: number, onCut: (reason: string) => void): void {
  client.options.wsOptions = { ...client.options.wsOptions, maxPayload: maxBytes + WEBSOCKET_MESSAGE_ROOM };
  // streamBuilder is private in mqtt.js's typings but is how each (re)connect opens its stream.
  const holder = client as unknown as { streamBuilder: StreamBuilder };
  const build = holder.streamBuilder;
  holder.streamBuilder = (c) => {
    const stream = build(c);
    const watch = new PacketSizeWatch(maxBytes);
    const onData = (chunk: Buffer) => {
      const reason = watch.check(chunk);
      if (reason === undefined) return;
      stream.removeListener("data", onData);
      stream.destroy();
      onCut(reason);
    };
    stream.prependListener("data", onData);
    stream.on("error", (err: Error & { code?: string }) => {
      if (err.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH") onCut(`WebSocket message exceeds the limit of ${maxBytes + WEBSOCKET_MESSAGE_ROOM} bytes`);
    });
    return stream;
  };
  client.connect();
}

/** MQTT 5 CONNECT options that tell the broker the largest packet this client accepts. */
export function mqtt5Limit(maxBytes: number): IClientOptions {
  return { protocolVersion: 5, properties: { maximumPacketSize: maxBytes }, manualConnect: true };
}

/**
 * Whether a connect error is the broker refusing protocol version 5: the MQTT 3.1.1 CONNACK return
 * code 1 (unacceptable protocol version) or the MQTT 5 reason code 0x84 (unsupported protocol version).
 */
export function refusesMqtt5(err: Error & { code?: unknown }): boolean {
  return err.code === 1 || err.code === 0x84;
}

/** Switches a client that was refused MQTT 5 to 3.1.1 for its next connect. */
export function fallBackToMqtt311(client: MqttClient): void {
  client.options.protocolVersion = 4;
  delete client.options.properties;
}
