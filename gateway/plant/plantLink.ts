import mqtt, { type MqttClient } from "mqtt";
import { brokerClientOptions, reconnectWithBackoff, redactUrl } from "../../common/mqttBroker.js";
import { connectWithPacketLimit, fallBackToMqtt311, mqtt5Limit, OUTPUT_MAX_INCOMING_BYTES, refusesMqtt5 } from "../../common/mqttPacketLimit.js";
import { RateLimitedWarn } from "../../common/rateLimitedLog.js";
import { systemClock, type Clock } from "../../common/clock.js";
import type { Logger } from "../../common/logger.js";
import type { AlertEngine } from "../alerts/engine.js";
import type { PlantBrokerConfig } from "../config/plant.js";
import type { Hub } from "../hub/hub.js";
import type { PlantMsg } from "../protocol/plant.js";
import { announcement, type MachineIdentity } from "./announcement.js";
import { MachineDirectory } from "./directory.js";

/** Alert changes are announced at once, but at most this often (a flood of transitions is one message). */
const MIN_GAP_MS = 1000;

/**
 * This gateway on the plant's broker: it announces its state, alarms and key values (retained, with
 * a last will that marks it offline) and, for the plant view, listens to every machine's.
 */
export class PlantLink {
  private readonly directory: MachineDirectory | undefined;
  private client: MqttClient | undefined;
  private cancelReconnect: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private soon: NodeJS.Timeout | undefined;
  private lastSent = -Infinity;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly config: PlantBrokerConfig,
    private readonly me: MachineIdentity,
    private readonly machine: { hub: Hub; alerts: AlertEngine },
    private readonly log: Logger,
    private readonly clock: Clock = systemClock,
  ) {
    this.directory = config.view ? new MachineDirectory(config.prefix, clock, config.machines) : undefined;
  }

  private topic(kind: "machine" | "status"): string {
    return `${this.config.prefix}/${this.me.id}/${kind}`;
  }

  /** The plant view, or undefined where this gateway does not serve it. */
  view(): PlantMsg | undefined {
    return this.directory?.view();
  }

  start(): void {
    const client = mqtt.connect(this.config.url, {
      ...brokerClientOptions(this.config, `wachter-plant-${this.me.id}`),
      // The broker is told the largest packet to send (MQTT 5), so a huge retained message on a plant topic is never sent here.
      ...mqtt5Limit(OUTPUT_MAX_INCOMING_BYTES),
      reconnectPeriod: 0,
      queueQoSZero: false,
      will: this.config.announce ? { topic: this.topic("status"), payload: Buffer.from("offline"), qos: 1, retain: true } : undefined,
    });
    this.client = client;
    client.on("connect", () => this.connected(client));
    client.on("close", () => this.directory?.brokerChanged(false));
    client.on("message", (topic, payload) => this.directory?.ingest(topic, payload));
    client.on("error", (err) => {
      if (client.options.protocolVersion === 5 && refusesMqtt5(err)) {
        fallBackToMqtt311(client);
        this.log.warn({ broker: redactUrl(this.config.url) }, "plant broker refused MQTT 5, using 3.1.1: an oversized message on a plant topic costs a reconnect");
      } else this.log.warn({ err: err.message }, "plant MQTT error");
    });
    this.cancelReconnect = reconnectWithBackoff(client);
    if (this.config.announce) {
      this.unsubscribe = this.machine.alerts.subscribe({ transition: () => this.announceSoon(), rules: () => this.announceSoon() });
      this.timer = setInterval(() => this.announce(), this.config.interval);
    }
    const cuts = new RateLimitedWarn(this.log);
    connectWithPacketLimit(client, OUTPUT_MAX_INCOMING_BYTES, (reason) => cuts.warn({ reason }, "plant MQTT connection cut: the broker sent a packet over the limit"));
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    clearInterval(this.timer);
    clearTimeout(this.soon);
    this.cancelReconnect?.();
    const client = this.client;
    this.client = undefined;
    if (client?.connected && this.config.announce) await client.publishAsync(this.topic("status"), "offline", { qos: 1, retain: true }).catch(() => {});
    await client?.endAsync();
  }

  private connected(client: MqttClient): void {
    this.log.info({ broker: redactUrl(this.config.url), prefix: this.config.prefix, id: this.me.id }, "plant MQTT connected");
    this.directory?.brokerChanged(true);
    if (this.config.view) client.subscribe([`${this.config.prefix}/+/machine`, `${this.config.prefix}/+/status`], { qos: 1 });
    if (this.config.announce) {
      client.publish(this.topic("status"), "online", { qos: 1, retain: true });
      this.announce();
    }
  }

  private announceSoon(): void {
    if (this.soon) return;
    this.soon = setTimeout(() => {
      this.soon = undefined;
      this.announce();
    }, Math.max(0, this.lastSent + MIN_GAP_MS - this.clock.mono()));
  }

  private announce(): void {
    const client = this.client;
    if (!client?.connected) return;
    this.lastSent = this.clock.mono();
    const news = announcement(this.me, this.machine.alerts.list(), this.machine.hub.channelStates(), this.clock.wall());
    client.publish(this.topic("machine"), JSON.stringify(news), { qos: 1, retain: true });
  }
}
