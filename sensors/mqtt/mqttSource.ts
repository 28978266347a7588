import { z } from "zod";
import { durationSchema } from "../../common/durations.js";
import { sourceIdSchema, valueFields } from "../common/schemas.js";
import { CHANNEL_ID, type Source, type SourceSink } from "../types.js";
import type { Logger } from "../../common/logger.js";
import { brokerFields, redactUrl as redact } from "../../common/mqttBroker.js";
import { decodePayload, payloadSchema } from "./payload.js";
import { Subscriber } from "./subscriber.js";
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
  private readonly subscriber: Subscriber;
  private readonly known = new Set<string>();

  constructor(
    private readonly options: MqttSourceOptions,
    private readonly sink: SourceSink,
    log: Logger,
  ) {
    this.id = options.id;
    const filters = options.topics.map((t) => t.filter);
    this.subscriber = new Subscriber(
      options.id,
      options,
      filters,
      options.qos,
      options.maxPayloadBytes,
      {
        message: (topic, payload) => this.message(topic, payload),
        subscribed: (note) => sink.status({ state: "up", detail: `${redact(options.url)}, ${filters.length} subscription(s)${note}` }),
        refused: (reason) => sink.reject(`connection cut: ${reason}`, ""),
        status: (status) => sink.status(status),
      },
      log,
    );
  }

  start(): void {
    this.subscriber.start();
  }

  stop(): Promise<void> {
    return this.subscriber.stop();
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
