import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { Backoff } from "../../common/backoff.js";
import type { Logger } from "../../common/logger.js";
import { brokerClientOptions, redactUrl } from "../../common/mqttBroker.js";
import { connectWithPacketLimit, OUTPUT_MAX_INCOMING_BYTES } from "../../common/mqttPacketLimit.js";
import { RateLimitedWarn } from "../../common/rateLimitedLog.js";
import { BDSEQ_METRIC, decodePayload, encodePayload, formatTopic, nextSeq, REBIRTH_METRIC, type Metric, type MessageType } from "../../common/sparkplug.js";
import type { ChannelInfo } from "../../sensors/index.js";
import type { Hub, HubEvent } from "../hub/hub.js";
import type { UplinkConfig } from "./schema.js";

type SparkplugConfig = NonNullable<UplinkConfig["sparkplug"]>;

/** The last bdSeq used, kept across restarts: each MQTT connect must use the next one. */
class BdSeqFile {
  constructor(private readonly file: string) {}

  next(): number {
    let last = 255;
    try {
      const stored = (JSON.parse(readFileSync(this.file, "utf8")) as { bdSeq?: unknown }).bdSeq;
      if (Number.isInteger(stored) && (stored as number) >= 0 && (stored as number) <= 255) last = stored as number;
    } catch {
      // First start, or a file a power cut truncated: start the sequence again at 0.
    }
    const bdSeq = nextSeq(last);
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileSync(`${this.file}.tmp`, JSON.stringify({ bdSeq }));
    renameSync(`${this.file}.tmp`, this.file);
    return bdSeq;
  }
}

interface Device {
  born: boolean;
  /** Last value sent per channel, for the deadband. */
  sent: Map<string, number>;
}

/**
 * The gateway as a Sparkplug B edge node (Sparkplug 3.0): its sources are devices, their
 * channels metrics. Each MQTT connect carries a new bdSeq in its NDEATH will (QoS 1), then
 * NBIRTH and a DBIRTH per source with aliases, then alias-only DDATA with the message sequence
 * 0…255; it births again on an NCMD rebirth, when channels change, and (if configured) only once
 * the primary host application says it is online.
 */
export class SparkplugEdgeNode {
  private client: MqttClient | undefined;
  private bdSeq = 0;
  private seq = 0;
  private nodeBorn = false;
  private rebirthDue = false;
  private readonly aliases = new Map<string, number>();
  private readonly devices = new Map<string, Device>();
  private readonly pending = new Map<string, { value: number; ts: number }>();
  private readonly backoff = new Backoff(500, 30_000);
  private readonly bdSeqFile: BdSeqFile;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private tick: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private stopped = false;
  private readonly cuts: RateLimitedWarn;
  readonly nodeId: string;

  constructor(
    private readonly config: SparkplugConfig,
    private readonly hub: Hub,
    gatewayName: string,
    stateFile: string,
    private readonly log: Logger,
  ) {
    this.nodeId = config.edgeNodeId ?? (gatewayName.replace(/[^A-Za-z0-9_-]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 64) || "wachter");
    this.bdSeqFile = new BdSeqFile(stateFile);
    this.cuts = new RateLimitedWarn(log);
  }

  start(): void {
    this.unsubscribe = this.hub.subscribe((e) => this.onHubEvent(e));
    this.tick = setInterval(() => this.flush(), this.config.interval);
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    clearInterval(this.tick);
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    // A clean shutdown says so itself, then disconnects properly so that the broker does not send
    // the will as well; the will covers everything else.
    if (client?.connected) {
      await client.publishAsync(this.topic("NDEATH"), this.deathPayload(), { qos: 1 }).catch(() => {});
      await client.endAsync();
    } else await client?.endAsync(true);
  }

  private topic(type: MessageType, device?: string): string {
    return formatTopic({ group: this.config.groupId, type, node: this.nodeId, device });
  }

  private deathPayload(): Buffer {
    return encodePayload({ timestamp: Date.now(), metrics: [{ name: BDSEQ_METRIC, type: "Int64", value: this.bdSeq }] });
  }

  private connect(): void {
    this.bdSeq = this.bdSeqFile.next();
    const client = mqtt.connect(this.config.url, {
      ...brokerClientOptions(this.config, `wachter-${this.nodeId}`),
      clean: true,
      reconnectPeriod: 0,
      queueQoSZero: false,
      will: { topic: this.topic("NDEATH"), payload: this.deathPayload(), qos: 1, retain: false },
      manualConnect: true,
    });
    this.client = client;
    client.on("connect", () => {
      this.backoff.reset();
      this.log.info({ broker: redactUrl(this.config.url), group: this.config.groupId, node: this.nodeId, bdSeq: this.bdSeq }, "Sparkplug edge node connected");
      const topics = [this.topic("NCMD")];
      if (this.config.primaryHostId) topics.push(`spBv1.0/STATE/${this.config.primaryHostId}`);
      client.subscribe(topics, { qos: 1 }, () => {
        if (!this.config.primaryHostId) this.birth();
      });
    });
    client.on("message", (topic, payload) => this.message(topic, payload));
    client.on("error", (err) => this.log.warn({ err: err.message }, "Sparkplug MQTT error"));
    client.on("close", () => this.disconnected(client));
    connectWithPacketLimit(client, OUTPUT_MAX_INCOMING_BYTES, (reason) => this.cuts.warn({ reason }, "Sparkplug MQTT connection cut: the broker sent a packet over the limit"));
  }

  /** A new session for every connect: a will carries its bdSeq, so mqtt.js's own reconnect cannot be used. */
  private disconnected(client: MqttClient): void {
    if (client !== this.client || this.stopped) return;
    this.nodeBorn = false;
    for (const d of this.devices.values()) d.born = false;
    client.removeAllListeners();
    client.on("error", () => {});
    client.end(true);
    this.client = undefined;
    this.reconnectTimer = setTimeout(() => this.connect(), this.backoff.next());
  }

  private message(topic: string, bytes: Buffer): void {
    if (topic === this.topic("NCMD")) {
      let metrics: Metric[];
      try {
        metrics = decodePayload(bytes).metrics;
      } catch {
        return this.log.warn({ topic }, "undecodable NCMD ignored");
      }
      if (metrics.some((m) => m.name === REBIRTH_METRIC && m.value === true)) {
        this.log.info({ node: this.nodeId }, "rebirth requested");
        this.birth();
      }
      return;
    }
    // STATE: JSON {"online": true, "timestamp": …} in Sparkplug 3.0, "ONLINE"/"OFFLINE" before.
    const text = bytes.toString("utf8", 0, 256);
    let online: boolean;
    try {
      online = (JSON.parse(text) as { online?: unknown }).online === true;
    } catch {
      online = text === "ONLINE";
    }
    if (online && !this.nodeBorn) this.birth();
    if (!online && this.nodeBorn && this.client) {
      // The primary host is gone: stop publishing until it is back (a new session then).
      this.log.warn({ host: this.config.primaryHostId }, "Sparkplug primary host offline: disconnecting until it is back");
      const client = this.client;
      void client.publishAsync(this.topic("NDEATH"), this.deathPayload(), { qos: 1 }).finally(() => client.end());
    }
  }

  private publish(type: MessageType, device: string | undefined, metrics: Metric[], qos: 0 | 1 = 0): void {
    const client = this.client;
    if (!client?.connected) return;
    const seq = type === "NBIRTH" ? 0 : nextSeq(this.seq);
    this.seq = seq;
    client.publish(this.topic(type, device), encodePayload({ timestamp: Date.now(), seq, metrics }), { qos });
  }

  private birth(): void {
    if (!this.client?.connected) return;
    this.rebirthDue = false;
    const channels = this.hub.channelStates();
    this.aliases.clear();
    channels.forEach((c, i) => this.aliases.set(c.info.id, i + 1));
    this.publish("NBIRTH", undefined, [
      { name: BDSEQ_METRIC, type: "Int64", value: this.bdSeq },
      { name: REBIRTH_METRIC, type: "Boolean", value: false },
    ]);
    this.nodeBorn = true;
    this.devices.clear();
    const sources = new Set(this.hub.sourceStates().map((s) => s.id));
    for (const id of sources) this.deviceBirth(id);
  }

  private deviceBirth(source: string): void {
    const state = this.hub.sourceStates().find((s) => s.id === source);
    const channels = this.hub.channelStates().filter((c) => c.info.source === source);
    const device: Device = { born: false, sent: new Map() };
    this.devices.set(source, device);
    if (state?.status.state !== "up" || channels.length === 0) return;
    this.publish(
      "DBIRTH",
      source,
      channels.map((c) => {
        if (c.last) device.sent.set(c.info.id, c.last.value);
        this.pending.delete(c.info.id);
        return { ...this.metricOf(c.info), ...(c.last ? { value: c.last.value, timestamp: c.last.ts } : { isNull: true }) };
      }),
    );
    device.born = true;
  }

  private metricOf(info: ChannelInfo): Metric {
    return { name: info.id, alias: this.aliases.get(info.id), type: "Double", properties: info.unit ? { engUnit: { type: "String", value: info.unit } } : undefined };
  }

  private onHubEvent(e: HubEvent): void {
    if (e.type === "reading") this.pending.set(e.channel, { value: e.value, ts: e.ts });
    else if (e.type === "channel" && this.nodeBorn && !this.aliases.has(e.info.id)) this.rebirthDue = true;
    else if (e.type === "source" && this.nodeBorn) {
      const device = this.devices.get(e.source.id);
      if (e.source.status.state === "up" && !device?.born) this.deviceBirth(e.source.id);
      else if (e.source.status.state !== "up" && device?.born) {
        this.publish("DDEATH", e.source.id, []);
        device.born = false;
      }
    }
  }

  /** Report by exception: per device, one DDATA with what changed by more than the deadband. */
  private flush(): void {
    if (!this.nodeBorn) return;
    if (this.rebirthDue) return this.birth();
    const byDevice = new Map<string, Metric[]>();
    const infos = new Map(this.hub.channelStates().map((c) => [c.info.id, c.info]));
    for (const [channel, { value, ts }] of this.pending) {
      const info = infos.get(channel);
      const device = info && this.devices.get(info.source);
      const alias = this.aliases.get(channel);
      if (!info || !device?.born || alias === undefined) continue;
      const last = device.sent.get(channel);
      this.pending.delete(channel);
      if (last !== undefined && Math.abs(value - last) <= this.config.deadband) continue;
      device.sent.set(channel, value);
      const metrics = byDevice.get(info.source) ?? [];
      metrics.push({ alias, type: "Double", value, timestamp: ts });
      byDevice.set(info.source, metrics);
    }
    for (const [source, metrics] of byDevice) this.publish("DDATA", source, metrics);
  }
}
