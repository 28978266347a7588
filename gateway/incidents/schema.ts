import { z } from "zod";
import { durationSchema } from "../../common/durations.js";

/** Recorded from `before` the moment an alert fires to `after` it; `extra` fields beside them. */
const window = <E extends z.ZodRawShape>(before: number, after: number, extra: E) =>
  z.object({ before: durationSchema.default(before), after: durationSchema.default(after), ...extra }).strict();

export const incidentsSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Alerts of these severities get an incident record when they fire. */
    severities: z.array(z.enum(["critical", "warning", "info"])).default(["warning", "critical"]),
    /** History of the alert's channel and the other channels of its source. */
    telemetry: window(10 * 60_000, 5 * 60_000, { step: durationSchema.default(1000) }).default({ before: 10 * 60_000, after: 5 * 60_000, step: 1000 }),
    /** Radiometric frames of every camera, one per `interval`, as the thermal data channel carries them. */
    frames: window(30_000, 30_000, { interval: durationSchema.default(1000) }).default({ before: 30_000, after: 30_000, interval: 1000 }),
    /** The microphones' Opus packets (as Ogg/Opus) and spectrum columns. */
    sound: window(10_000, 10_000, {}).default({ before: 10_000, after: 10_000 }),
    /** Largest record; frames farthest from the moment the alert fired are left out first. */
    maxBytes: z.number().int().min(64 * 1024).max(512 * 1024 * 1024).default(8 * 1024 * 1024),
    /** Records still being recorded at once; further alerts firing meanwhile get none (and a warning). */
    maxConcurrent: z.number().int().min(1).max(32).default(4),
    /** Finalised records older than this are deleted, and the oldest ones while all of them exceed `maxDiskBytes`. */
    retention: durationSchema.default(90 * 86_400_000),
    maxDiskBytes: z.number().int().min(1024 * 1024).default(1024 * 1024 * 1024),
    /** Pins (records kept for good by an operator) may take this much of `maxDiskBytes`; half of it unless set. */
    maxPinnedBytes: z.number().int().min(0).optional(),
    /** Copies of every finalised record on the plant's IPFS node. */
    replicate: z
      .object({
        /** A Kubo node's RPC API (port 5001), e.g. http://ipfs.plant.local:5001; records go to /api/v0/dag/import and are pinned there. */
        kubo: z
          .object({
            url: z
              .url({ protocol: /^https?$/, error: "expected the node's RPC address, e.g. http://ipfs.plant.local:5001" })
              .transform((u) => (u.endsWith("/") ? u : `${u}/`)),
            /** The Authorization header Kubo's API.Authorizations asks for, e.g. "Bearer …" or "Basic …". */
            authorization: z.string().min(1).max(4096).optional(),
            timeout: durationSchema.default(60_000),
          })
          .strict(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((c) => c.frames.interval > 0, { message: "frames.interval must be above 0", path: ["frames", "interval"] })
  .refine((c) => c.telemetry.step >= 1, { message: "telemetry.step must be at least 1 ms", path: ["telemetry", "step"] })
  .refine((c) => (c.maxPinnedBytes ?? 0) < c.maxDiskBytes, { message: "maxPinnedBytes must be less than maxDiskBytes, or pins would leave no room for new records", path: ["maxPinnedBytes"] })
  .transform((c) => ({ ...c, maxPinnedBytes: c.maxPinnedBytes ?? Math.floor(c.maxDiskBytes / 2) }));
export type IncidentsConfig = z.output<typeof incidentsSchema>;
