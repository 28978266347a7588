import { z } from "zod";
import { durationSchema } from "../../common/durations.js";
import { brokerFields } from "../../common/mqttBroker.js";
import { SPARKPLUG_ID } from "../../common/sparkplug.js";
import { channelIdSchema, sourceIdSchema } from "../common/schemas.js";

const PLACEHOLDERS = ["group", "node", "device", "metric"];

export const sparkplugSourceSchema = z
  .object({
    id: sourceIdSchema,
    type: z.literal("sparkplug"),
    ...brokerFields,
    /** Sparkplug group ids to follow; all groups when absent. */
    groups: z.array(z.string().regex(SPARKPLUG_ID, "expected a Sparkplug group id (no / + # or spaces)")).min(1).optional(),
    /**
     * Which metrics become channels: patterns over "group/node/device/metric" (node metrics:
     * "group/node//metric") where * matches anything. All numeric metrics when absent.
     */
    include: z.array(z.string().min(1).max(256)).min(1).default(["*"]),
    /** Channel id template; {group} {node} {device} {metric}, other characters than _ . : - become _. */
    channel: z
      .string()
      .min(1)
      .max(128)
      .refine((t) => [...t.matchAll(/\{(\w+)\}/g)].every((m) => PLACEHOLDERS.includes(m[1])), "expected placeholders {group}, {node}, {device} or {metric}")
      .default("{node}.{device}.{metric}"),
    /** Per metric ("group/node/device/metric"): channel id, name, unit, decimals and group instead of the defaults. */
    metrics: z
      .record(
        z.string().min(3),
        z
          .object({
            channel: channelIdSchema.optional(),
            name: z.string().min(1).max(80).optional(),
            unit: z.string().max(16).optional(),
            decimals: z.number().int().min(0).max(6).optional(),
            group: z.string().min(1).max(80).optional(),
          })
          .strict(),
      )
      .default({}),
    /** Ask an edge node to send its births again when messages were lost (NCMD Node Control/Rebirth). */
    requestRebirth: z.boolean().default(true),
    staleAfter: durationSchema.default(60_000),
    maxChannels: z.number().int().min(1).max(10_000).default(500),
    maxPayloadBytes: z.number().int().min(64).max(4 << 20).default(262_144),
  })
  .strict();
export type SparkplugSourceOptions = z.output<typeof sparkplugSourceSchema>;
