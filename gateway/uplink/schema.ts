import { z } from "zod";
import { brokerFields } from "../../common/mqttBroker.js";
import { durationSchema } from "../../common/durations.js";
import { SPARKPLUG_ID } from "../../common/sparkplug.js";

const sparkplugId = z.string().regex(SPARKPLUG_ID, "expected a Sparkplug id (no / + # or spaces, at most 64 characters)");

export const uplinkSchema = z
  .object({
    mqtt: z
      .object({
        ...brokerFields,
        /** Topics start with this, e.g. plant/line2/mill3; defaults to wachter/<machine name>. */
        prefix: z.string().regex(/^[^#+\s]{1,120}$/, "expected a topic prefix without wildcards").optional(),
        /** Publish a channel at most this often… */
        interval: durationSchema.default(10_000),
        /** …and at once when it moved by more than this (0: only on the interval). */
        deadband: z.number().min(0).default(0.5),
        homeAssistant: z
          .object({
            enabled: z.boolean().default(true),
            discoveryPrefix: z.string().regex(/^[^#+\s]{1,64}$/).default("homeassistant"),
            /** Home Assistant's birth message topic; discovery is sent again when it says "online". */
            statusTopic: z.string().regex(/^[^#+\s]{1,120}$/).default("homeassistant/status"),
          })
          .strict()
          .default({ enabled: true, discoveryPrefix: "homeassistant", statusTopic: "homeassistant/status" }),
      })
      .strict()
      .optional(),
    /** The gateway as a Sparkplug B edge node: one device per source, its channels as metrics. */
    sparkplug: z
      .object({
        ...brokerFields,
        groupId: sparkplugId,
        /** Defaults to the machine name with other characters than letters, digits, _ and - as _. */
        edgeNodeId: sparkplugId.optional(),
        /** Birth only once this primary host application's STATE says it is online. */
        primaryHostId: sparkplugId.optional(),
        /** DDATA at most this often per device… */
        interval: durationSchema.default(1000),
        /** …with the metrics that moved by more than this since they were last sent. */
        deadband: z.number().min(0).default(0),
      })
      .strict()
      .optional(),
    /** Publish the media tracks to a WHIP endpoint (MediaMTX, LiveKit …) that fans out to remote viewers. */
    whip: z
      .object({
        url: z.string().regex(/^https?:\/\/[^\s]+$/, "expected the endpoint's http:// or https:// URL, e.g. https://mediamtx.plant.local:8889/mill3/whip"),
        /** Sent as Authorization: Bearer …; use ${ENV}. */
        token: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type UplinkConfig = z.output<typeof uplinkSchema>;
