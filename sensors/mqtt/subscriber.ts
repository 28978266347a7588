import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import type { Logger } from "../../common/logger.js";
import { brokerClientOptions, reconnectWithBackoff, redactUrl, type Broker } from "../../common/mqttBroker.js";
import type { SourceStatus } from "../types.js";

export interface SubscriberEvents {
  message(topic: string, payload: Buffer): void;
  /** Subscribed after a (re)connect: the source is up. */
  subscribed(): void;
  status(status: SourceStatus): void;
}

/**
 * A source's subscriptions on a broker (MQTT topics, thermal frames, Sparkplug) that is never fatal to lose: reconnects with capped
 * backoff (0.5 s → 30 s) and resubscribes, reporting down with the reason meanwhile.
 */
export class Subscriber {
  private client: MqttClient | undefined;
  private cancelReconnect: (() => void) | undefined;

  constructor(
    private readonly id: string,
    private readonly broker: Broker,
    private readonly filters: string[],
    private readonly qos: 0 | 1,
    private readonly events: SubscriberEvents,
    private readonly log: Logger,
  ) {}

  start(): void {
    const url = redactUrl(this.broker.url);
    this.events.status({ state: "starting", detail: `connecting to ${url}` });
    const clientOptions: IClientOptions = {
      ...brokerClientOptions(this.broker, `wachter-${this.id}`),
      // Reconnection is driven here so the delay can back off; mqtt.js only knows a fixed period.
      reconnectPeriod: 0,
      resubscribe: false,
      queueQoSZero: false,
    };
    const client = mqtt.connect(this.broker.url, clientOptions);
    this.client = client;
    client.on("connect", () => this.connected(client));
    client.on("message", (topic, payload) => this.events.message(topic, payload));
    client.on("error", (err) => {
      this.log.warn({ source: this.id, err: err.message }, "MQTT error");
      this.events.status({ state: "down", detail: `${url}: ${err.message}` });
    });
    this.cancelReconnect = reconnectWithBackoff(client, (delay) =>
      this.events.status({ state: "down", detail: `${url} unreachable, retrying in ${(delay / 1000).toFixed(1)} s` }),
    );
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
      const refused = (granted ?? []).filter((g) => g.qos === 128).map((g) => g.topic);
      if (refused.length) this.log.error({ source: this.id, refused }, "broker refused subscriptions (check its ACL)");
      this.log.info({ source: this.id, filters: this.filters }, "MQTT connected and subscribed");
      this.events.subscribed();
    });
  }
}
