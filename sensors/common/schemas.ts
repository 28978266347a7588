import { z } from "zod";
import { CHANNEL_ID } from "../types.js";

export const channelIdSchema = z
  .string()
  .regex(CHANNEL_ID, "expected a channel id of letters, digits and _ . : - (at most 128 characters)");

export const sourceIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, "expected a source id of letters, digits, _ and - (at most 64 characters)");

/** Unit, scaling and plausibility limits of a value, shared by serial fields and MQTT topics. */
export const valueFields = {
  name: z.string().min(1).max(80).optional(),
  unit: z.string().max(16).default("°C"),
  /** value = raw × scale + offset */
  scale: z.number().finite().default(1),
  offset: z.number().finite().default(0),
  /** Readings outside [min, max] after scaling are rejected as implausible (e.g. a DS18B20's -127). */
  min: z.number().finite().optional(),
  max: z.number().finite().optional(),
  /** Where the channel sits on the machine, e.g. "Extruder 3 / barrel": the dashboard groups cards by it. */
  group: z.string().min(1).max(80).optional(),
  /** Decimals shown: as many as the sensor resolves (a DS18B20's 0.0625 °C: 1), not a flickering hundredth. */
  decimals: z.number().int().min(0).max(6).optional(),
};

/** How one field of a device's output becomes a channel. */
export const fieldSchema = z
  .object({ channel: channelIdSchema, ...valueFields })
  .strict()
  .refine((f) => f.min === undefined || f.max === undefined || f.min < f.max, {
    message: "min must be less than max",
    path: ["max"],
  });
export type FieldSpec = z.output<typeof fieldSchema>;
