import mqtt, { type MqttClient } from "mqtt";
import { brokerClientOptions, reconnectWithBackoff, redactUrl } from "../../common/mqttBroker.js";
import { connectWithPacketLimit, OUTPUT_MAX_INCOMING_BYTES } from "../../common/mqttPacketLimit.js";
import { RateLimitedWarn } from "../../common/rateLimitedLog.js";
import type { ChannelInfo } from "../../sensors/index.js";
import type { Logger } from "../../common/logger.js";
import type { Hub, HubEvent } from "../hub/hub.js";
import type { UplinkConfig } from "./schema.js";
import { systemClock } from "../../common/clock.js";

type MqttUplinkConfig = NonNullable<UplinkConfig["mqtt"]>;

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_|_$/g, "") || "gateway";

/**
 * Publishes readings to the plant's broker so its existing tools see them: one retained state
 * topic per channel (rate-limited, or at once on a real change), Home Assistant discovery, and an
 * availability topic that the broker sets to "offline" through the last will when the gateway dies.
 * While disconnected nothing queues: on reconnect each channel's latest value is published.
 */
export class MqttUplink {
  private client: MqttClient | undefined;
  private cancelReconnect: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly sent = new Map<string, { value: number; at: number }>();
  private readonly pending = new Map<string, number>();
  readonly prefix: string;
  private readonly nodeId: string;
  discoverySent = 0;

  constructor(
    private readonly config: MqttUplinkConfig,
    private readonly hub: Hub,
    private readonly gateway: { name: string; version: string },
    private readonly log: Logger,
  ) {
    this.prefix = config.prefix ?? `wachter/${slug(gateway.name)}`;
    this.nodeId = `wachter_${slug(gateway.name)}`;
  }

  get availabilityTopic(): string {
    return `${this.prefix}/status`;
  }

  stateTopic(channel: string): string {
    return `${this.prefix}/channel/${channel}/state`;
  }

  start(): void {
    const client = mqtt.connect(this.config.url, {
      ...brokerClientOptions(this.config, "wachter-uplink"),
      reconnectPeriod: 0,
      queueQoSZero: false,
      will: { topic: this.availabilityTopic, payload: Buffer.from("offline"), qos: 1, retain: true },
      manualConnect: true,
    });
    this.client = client;
    client.on("connect", () => this.connected(client));
    client.on("message", (topic, payload) => {
      if (topic === this.config.homeAssistant.statusTopic && payload.toString() === "online") this.discovery();
    });
    client.on("error", (err) => this.log.warn({ err: err.message }, "uplink MQTT error"));
    this.cancelReconnect = reconnectWithBackoff(client);
    const cuts = new RateLimitedWarn(this.log);
    connectWithPacketLimit(client, OUTPUT_MAX_INCOMING_BYTES, (reason) => cuts.warn({ reason }, "uplink MQTT connection cut: the broker sent a packet over the limit"));
    this.unsubscribe = this.hub.subscribe((e) => this.onHubEvent(e));
    this.timer = setInterval(() => this.flush(), Math.min(1000, this.config.interval));
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    clearInterval(this.timer);
    this.cancelReconnect?.();
    const client = this.client;
    this.client = undefined;
    if (client?.connected) await client.publishAsync(this.availabilityTopic, "offline", { qos: 1, retain: true }).catch(() => {});
    await client?.endAsync();
  }

  private connected(client: MqttClient): void {
    this.log.info({ broker: redactUrl(this.config.url), prefix: this.prefix }, "uplink MQTT connected");
    client.publish(this.availabilityTopic, "online", { qos: 1, retain: true });
    if (this.config.homeAssistant.enabled) {
      client.subscribe(this.config.homeAssistant.statusTopic, { qos: 1 });
      this.discovery();
    }
    for (const c of this.hub.channelStates()) if (c.last) this.pending.set(c.info.id, c.last.value);
    this.flush(true);
  }

  private onHubEvent(e: HubEvent): void {
    if (e.type === "channel" && this.client?.connected && this.config.homeAssistant.enabled) this.announce(e.info);
    if (e.type !== "reading") return;
    const last = this.sent.get(e.channel);
    this.pending.set(e.channel, e.value);
    if (this.config.deadband > 0 && (!last || Math.abs(e.value - last.value) > this.config.deadband)) this.publish(e.channel, e.value);
  }

  private flush(all = false): void {
    const now = systemClock.mono();
    for (const [channel, value] of this.pending) {
      const last = this.sent.get(channel);
      if (all || !last || now - last.at >= this.config.interval) this.publish(channel, value);
    }
  }

  private publish(channel: string, value: number): void {
    const client = this.client;
    if (!client?.connected) return;
    client.publish(this.stateTopic(channel), String(value), { qos: 0, retain: true });
    this.sent.set(channel, { value, at: systemClock.mono() });
    this.pending.delete(channel);
  }

  private discovery(): void {
    for (const c of this.hub.channelStates()) this.announce(c.info);
  }

  /** Home Assistant MQTT discovery for one channel as a sensor of this gateway's device. */
  private announce(info: ChannelInfo): void {
    const objectId = slug(info.id);
    const config = {
      name: info.name,
      unique_id: `${this.nodeId}_${objectId}`,
      object_id: `${this.nodeId}_${objectId}`,
      state_topic: this.stateTopic(info.id),
      unit_of_measurement: info.unit || undefined,
      device_class: info.unit === "°C" ? "temperature" : info.unit === "dB" ? "sound_pressure" : undefined,
      state_class: "measurement",
      availability_topic: this.availabilityTopic,
      expire_after: Math.ceil(info.staleAfterMs / 1000),
      device: { identifiers: [this.nodeId], name: this.gateway.name, manufacturer: "wachter", model: "machine-monitoring gateway", sw_version: this.gateway.version },
    };
    this.client?.publish(`${this.config.homeAssistant.discoveryPrefix}/sensor/${this.nodeId}/${objectId}/config`, JSON.stringify(config), { qos: 1, retain: true });
    this.discoverySent++;
  }
}
