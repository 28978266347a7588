import { z } from "zod";
import { brokerFields } from "../../common/mqttBroker.js";
import { durationSchema } from "../../common/durations.js";

export const notifySchema = z
  .object({
    /** Alert transitions published with QoS 1, kept in a persistent outbox until the broker acknowledges them. */
    mqtt: z
      .object({
        ...brokerFields,
        topic: z.string().regex(/^[^#+\s]{1,200}$/, "expected a topic without wildcards").default("wachter/alerts"),
      })
      .strict()
      .optional(),
    /** Also announce changes to alert rules (which rule, what, by whom) on the same MQTT topic and webhooks. */
    ruleChanges: z.boolean().default(false),
    webhooks: z
      .array(
        z
          .object({
            name: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/),
            url: z.string().regex(/^https?:\/\/[^\s]+$/, "expected an http:// or https:// URL"),
            headers: z.record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/), z.string().max(1000)).default({}),
            timeout: durationSchema.default(5000),
            /** After this many failed attempts the notification is dropped (and logged). */
            maxAttempts: z.number().int().min(1).max(1000).default(50),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();
export type NotifyConfig = z.output<typeof notifySchema>;
