import { z } from "zod";
import { durationSchema } from "../../common/durations.js";
import { channelIdSchema, sourceIdSchema, valueFields } from "../common/schemas.js";
import { DEFAULT_W1_BASE } from "./bus.js";
import { W1_SENSOR_ID } from "./families.js";

const sensorSchema = z
  .object({
    /** Default: w1.<sensor id>, as for discovered sensors. */
    channel: channelIdSchema.optional(),
    name: valueFields.name,
    /** Added to every reading: a calibration against a reference thermometer. */
    offset: valueFields.offset,
    decimals: valueFields.decimals,
    group: valueFields.group,
  })
  .strict();

export const oneWireSchema = z
  .object({
    id: sourceIdSchema,
    type: z.literal("onewire"),
    /** Where the kernel lists the bus's devices; a fixture tree of the same shape in tests. */
    basePath: z.string().regex(/^\/[A-Za-z0-9_./:+@-]+$/, "expected an absolute directory such as /sys/bus/w1/devices").default(DEFAULT_W1_BASE),
    /** Time between the starts of two reads of all sensors. */
    interval: durationSchema.refine((ms) => ms >= 100, "expected at least 100ms").default(5000),
    /** With two or more sensors, one conversion for all of them (therm_bulk_read) where the kernel offers it. */
    bulkRead: z.boolean().default(true),
    /** Default: three intervals. */
    staleAfter: durationSchema.optional(),
    /** Sensor id (as in /sys/bus/w1/devices, e.g. 28-00000abcdef1) → its channel. Only these are read; without, every sensor found. */
    sensors: z
      .record(z.string().regex(W1_SENSOR_ID, "expected a w1_therm sensor id such as 28-00000abcdef1 (families 10, 22, 28, 3b, 42; lower case)"), sensorSchema)
      .refine((s) => Object.keys(s).length > 0, "list at least one sensor, or leave sensors out to read every sensor found")
      .optional(),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const seen = new Map<string, string>();
    for (const [id, s] of Object.entries(cfg.sensors ?? {})) {
      const channel = s.channel ?? defaultChannel(id);
      if (seen.has(channel)) ctx.addIssue({ code: "custom", path: ["sensors", id, "channel"], message: `channel "${channel}" is also used by ${seen.get(channel)}` });
      seen.set(channel, id);
    }
  });
export type OneWireOptions = z.output<typeof oneWireSchema>;

export const defaultChannel = (sensorId: string) => `w1.${sensorId}`;
