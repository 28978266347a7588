import { z } from "zod";
import { durationSchema } from "../../common/durations.js";
import { sourceIdSchema } from "../common/schemas.js";

export const bandSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_]{1,24}$/, "expected a band name of letters, digits and _"),
    low: z.number().min(1),
    high: z.number().min(2),
  })
  .strict()
  .refine((b) => b.low < b.high && b.high <= 8000, { message: "need low < high ≤ 8000 Hz (analysis runs at 16 kHz)", path: ["high"] });

export const microphoneSchema = z
  .object({
    id: sourceIdSchema,
    type: z.literal("microphone"),
    name: z.string().min(1).max(80).optional(),
    /** alsa: a capture device; rawaudio: raw s16le mono 48 kHz from a file or FIFO (tests, other programs). */
    input: z.enum(["alsa", "rawaudio"]).default("alsa"),
    device: z
      .string()
      .regex(/^((plug)?hw|dsnoop|sysdefault|default)(:[A-Za-z0-9_=,]{1,64})?$|^\/[A-Za-z0-9_./:+@-]+$/, 'expected an ALSA device such as "hw:1,0", "plughw:CARD=Device,DEV=0" or "default"'),
    sampleRate: z.union([z.literal(16000), z.literal(44100), z.literal(48000)]).default(48000),
    /** Which input channel to use (1 = left / first). */
    channel: z.number().int().min(1).max(8).default(1),
    channels: z.number().int().min(1).max(8).default(1),
    bitrateKbps: z.number().int().min(6).max(256).default(32),
    /** Extra bands on top of the octave bands, e.g. { name: 4k_8k, low: 4000, high: 8000 }. */
    bands: z.array(bandSchema).default([]),
    staleAfter: durationSchema.default(5000),
  })
  .strict()
  .refine((m) => m.channel <= m.channels, { message: "channel must be at most channels", path: ["channel"] });
export type MicrophoneOptions = z.output<typeof microphoneSchema>;
