import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { z } from "zod";
import { durationSchema } from "../../common/durations.js";
import { sourceIdSchema, valueFields } from "../common/schemas.js";
import { CHANNEL_ID, type Source, type SourceSink } from "../types.js";
import type { Logger } from "../../common/logger.js";
import { brokerClientOptions, brokerFields, reconnectWithBackoff, redactUrl as redact } from "../../common/mqttBroker.js";
import { decodePayload, payloadSchema } from "./payload.js";
import { fillTemplate, isValidFilter, matchTopic, wildcardCount } from "./topics.js";

const topicSchema = z
  .object({
    filter: z.string().refine(isValidFilter, "expected an MQTT topic filter ('+' and a trailing '#' as whole levels)"),
    /** Channel id; {1}, {2}… stand for what the wildcards matched. */
    channel: z.string().min(1).max(128),
    ...valueFields,
    payload: payloadSchema.default({ type: "number" }),
  })
  .strict()
  .superRefine((t, ctx) => {
    const used = [...t.channel.matchAll(/\{(\d+)\}/g)].map((m) => Number(m[1]));
    const wildcards = wildcardCount(t.filter);
    for (const n of used) {
      if (n < 1 || n > wildcards) {
        ctx.addIssue({ code: "custom", path: ["channel"], message: `{${n}} refers to a wildcard the filter does not have (it has ${wildcards})` });
      }
    }
    if (!CHANNEL_ID.test(t.channel.replace(/\{\d+\}/g, "x"))) {
      ctx.addIssue({ code: "custom", path: ["channel"], message: "expected a channel id of letters, digits and _ . : - with optional {n} placeholders" });
    }
  });

export const mqttSourceSchema = z
  .object({
    id: sourceIdSchema,
    type: z.literal("mqtt"),
    ...brokerFields,
    qos: z.union([z.literal(0), z.literal(1)]).default(0),
    staleAfter: durationSchema.default(60_000),
    /** Wildcard filters create channels on the fly; this bounds how many. */
    maxChannels: z.number().int().min(1).max(10_000).default(500),
    maxPayloadBytes: z.number().int().min(16).max(1 << 20).default(16_384),
    topics: z.array(topicSchema).min(1),
  })
  .strict();
export type MqttSourceOptions = z.output<typeof mqttSourceSchema>;

/** Temperatures published to an MQTT broker. Reconnects with capped backoff and resubscribes. */
export class MqttSource implements Source {
  readonly id: string;
  private client: MqttClient | undefined;
  private cancelReconnect: (() => void) | undefined;
  private readonly known = new Set<string>();

  constructor(
    private readonly options: MqttSourceOptions,
    private readonly sink: SourceSink,
    private readonly log: Logger,
  ) {
    this.id = options.id;
  }

  start(): void {
    const o = this.options;
    this.sink.status({ state: "starting", detail: `connecting to ${redact(o.url)}` });
    const clientOptions: IClientOptions = {
      ...brokerClientOptions(o, `wachter-${o.id}`),
      // Reconnection is driven here so the delay can back off; mqtt.js only knows a fixed period.
      reconnectPeriod: 0,
      resubscribe: false,
      queueQoSZero: false,
    };
    const client = mqtt.connect(o.url, clientOptions);
    this.client = client;
    client.on("connect", () => this.connected(client));
    client.on("message", (topic, payload) => this.message(topic, payload));
    client.on("error", (err) => {
      this.log.warn({ source: this.id, err: err.message }, "MQTT error");
      this.sink.status({ state: "down", detail: `${redact(o.url)}: ${err.message}` });
    });
    this.cancelReconnect = reconnectWithBackoff(client, (delay) =>
      this.sink.status({ state: "down", detail: `${redact(o.url)} unreachable, retrying in ${(delay / 1000).toFixed(1)} s` }),
    );
  }

  async stop(): Promise<void> {
    this.cancelReconnect?.();
    const client = this.client;
    this.client = undefined;
    if (client) await client.endAsync(true);
  }

  private connected(client: MqttClient): void {
    const filters = this.options.topics.map((t) => t.filter);
    client.subscribe(filters, { qos: this.options.qos }, (err, granted) => {
      if (err) {
        this.log.error({ source: this.id, err: err.message }, "MQTT subscribe failed");
        this.sink.status({ state: "down", detail: `subscribe failed: ${err.message}` });
        return;
      }
      const refused = (granted ?? []).filter((g) => g.qos === 128).map((g) => g.topic);
      if (refused.length) this.log.error({ source: this.id, refused }, "broker refused subscriptions (check its ACL)");
      this.log.info({ source: this.id, filters }, "MQTT connected and subscribed");
      this.sink.status({ state: "up", detail: `${redact(this.options.url)}, ${filters.length} subscription(s)` });
    });
  }

  private message(topic: string, payload: Buffer): void {
    if (payload.length > this.options.maxPayloadBytes) {
      this.sink.reject(`payload of ${payload.length} bytes on ${topic} exceeds maxPayloadBytes`, "");
      return;
    }
    for (const t of this.options.topics) {
      const captures = matchTopic(t.filter, topic);
      if (!captures) continue;
      const channel = fillTemplate(t.channel, captures);
      if (!CHANNEL_ID.test(channel)) {
        this.sink.reject(`topic ${topic} gives invalid channel id "${channel}"`, payload.toString("utf8", 0, 200));
        return;
      }
      const decoded = decodePayload(t.payload, payload);
      if (!decoded.ok) {
        this.sink.reject(`${topic}: ${decoded.reason}`, payload.toString("utf8", 0, 200));
        return;
      }
      const value = decoded.value * t.scale + t.offset;
      if ((t.min !== undefined && value < t.min) || (t.max !== undefined && value > t.max)) {
        this.sink.reject(`${topic}: value ${value} outside [${t.min ?? "-∞"}, ${t.max ?? "∞"}]`, payload.toString("utf8", 0, 200));
        return;
      }
      if (!this.known.has(channel)) {
        if (this.known.size >= this.options.maxChannels) {
          this.sink.reject(`${topic}: more than maxChannels (${this.options.maxChannels}) channels`, "");
          return;
        }
        this.known.add(channel);
        this.sink.channel({
          id: channel,
          name: t.name ? fillTemplate(t.name, captures) : channel,
          unit: t.unit,
          source: this.id,
          staleAfterMs: this.options.staleAfter,
          decimals: t.decimals,
          group: t.group ? fillTemplate(t.group, captures) : undefined,
        });
      }
      this.sink.reading({ channel, value, ts: decoded.ts ?? Date.now() });
      return;
    }
  }
}
