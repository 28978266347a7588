import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import type { Logger } from "../../common/logger.js";
import { brokerClientOptions, reconnectWithBackoff, redactUrl, type Broker } from "../../common/mqttBroker.js";
import { connectWithPacketLimit, fallBackToMqtt311, mqtt5Limit, PUBLISH_OVERHEAD_BYTES, refusesMqtt5 } from "../../common/mqttPacketLimit.js";
import type { SourceStatus } from "../types.js";

export interface SubscriberEvents {
  message(topic: string, payload: Buffer): void;
  /** Subscribed after a (re)connect: the source is up; protocolNote is empty on MQTT 5, else says what the broker cannot do. */
  subscribed(protocolNote: string): void;
  /** The connection was cut because the broker sent a packet over the limit; it was never buffered. */
  refused(reason: string): void;
  status(status: SourceStatus): void;
}

/**
 * A source's subscriptions on a broker (MQTT topics, thermal frames, Sparkplug) that is never fatal to lose: reconnects with capped
 * backoff (0.5 s → 30 s) and resubscribes, reporting down with the reason meanwhile.
 *
 * Connects with MQTT 5 and tells the broker the largest packet it accepts (the source's payload
 * limit plus room for topic and properties), so a conforming broker drops larger messages for this
 * client; a packet that still arrives larger is cut off from its header. A broker that refuses
 * MQTT 5 is used with 3.1.1 from then on: it cannot be told the limit, so an oversized message
 * reaches the gateway and costs a reconnect (still cut off unbuffered).
 */
export class Subscriber {
  private client: MqttClient | undefined;
  private cancelReconnect: (() => void) | undefined;
  private mqtt311 = false;
  /** Why the last connection ended when not for being unreachable (cut off, MQTT 5 refused), for the retry status; cleared on connect. */
  private downReason: string | undefined;
  private readonly maxPacketBytes: number;

  constructor(
    private readonly id: string,
    private readonly broker: Broker,
    private readonly filters: string[],
    private readonly qos: 0 | 1,
    /** The largest payload the source accepts. */
    maxPayloadBytes: number,
    private readonly events: SubscriberEvents,
    private readonly log: Logger,
  ) {
    this.maxPacketBytes = maxPayloadBytes + PUBLISH_OVERHEAD_BYTES;
  }

  start(): void {
    const url = redactUrl(this.broker.url);
    this.events.status({ state: "starting", detail: `connecting to ${url}` });
    const clientOptions: IClientOptions = {
      ...brokerClientOptions(this.broker, `wachter-${this.id}`),
      ...mqtt5Limit(this.maxPacketBytes),
      // Reconnection is driven here so the delay can back off; mqtt.js only knows a fixed period.
      reconnectPeriod: 0,
      resubscribe: false,
      queueQoSZero: false,
    };
    const client = mqtt.connect(this.broker.url, clientOptions);
    this.client = client;
    client.on("connect", () => {
      this.downReason = undefined;
      this.connected(client);
    });
    client.on("message", (topic, payload) => this.events.message(topic, payload));
    client.on("error", (err) => {
      if (!this.mqtt311 && refusesMqtt5(err)) {
        this.mqtt311 = true;
        fallBackToMqtt311(client);
        this.log.warn({ source: this.id, broker: url }, "broker refused MQTT 5, using 3.1.1: it cannot be told the size limit, so oversized messages reach the gateway and cost a reconnect");
        this.downReason = "refused MQTT 5, using 3.1.1";
        return;
      }
      this.log.warn({ source: this.id, err: err.message }, "MQTT error");
      this.events.status({ state: "down", detail: `${url}: ${err.message}` });
    });
    this.cancelReconnect = reconnectWithBackoff(client, (delay) =>
      this.events.status({ state: "down", detail: `${url} ${this.downReason ?? "unreachable"}, retrying in ${(delay / 1000).toFixed(1)} s` }),
    );
    // The source counts the cut as a reject; the hub logs rejects rate-limited.
    connectWithPacketLimit(client, this.maxPacketBytes, (reason) => {
      this.downReason = `cut off: ${reason}`;
      this.events.refused(reason);
    });
  }

  /** Publishes on the same connection (a Sparkplug host's rebirth request); false while disconnected. */
  publish(topic: string, payload: Buffer): boolean {
    if (!this.client?.connected) return false;
    this.client.publish(topic, payload, { qos: 0 });
    return true;
  }

  async stop(): Promise<void> {
    this.cancelReconnect?.();
    const client = this.client;
    this.client = undefined;
    if (client) await client.endAsync(true);
  }

  private connected(client: MqttClient): void {
    client.subscribe(this.filters, { qos: this.qos }, (err, granted) => {
      if (err) {
        this.log.error({ source: this.id, err: err.message }, "MQTT subscribe failed");
        this.events.status({ state: "down", detail: `subscribe failed: ${err.message}` });
        return;
      }
      const refused = (granted ?? []).filter((g) => g.qos >= 128).map((g) => g.topic);
      if (refused.length) this.log.error({ source: this.id, refused }, "broker refused subscriptions (check its ACL)");
      this.log.info({ source: this.id, filters: this.filters }, "MQTT connected and subscribed");
      this.events.subscribed(this.mqtt311 ? " (MQTT 3.1.1: the broker cannot be told the size limit)" : "");
    });
  }
}
