import { z } from "zod";
import { PALETTES } from "../protocol/thermal.js";

export const videoSchema = z
  .object({
    codec: z.enum(["vp8", "h264"]).default("vp8"),
    palette: z.enum(PALETTES).default("ironbow"),
    /** Fixed colour range in °C, e.g. [20, 120]; automatic (per frame, smoothed) when absent. */
    range: z.tuple([z.number(), z.number()]).refine(([a, b]) => a < b, "the first value must be below the second").optional(),
    /**
     * The browser scales the picture up smoothly, and more pixels than a 32×24 or 80×60 camera has
     * only cost the encoder CPU; for a larger camera (a Lepton's 160×120, a 640×512 core) raise them.
     */
    width: z.number().int().min(64).max(1280).default(320),
    height: z.number().int().min(48).max(960).default(240),
    bitrateKbps: z.number().int().min(50).max(8000).default(600),
    /** Seconds the encoder keeps running after the last viewer left. */
    idleStop: z.number().min(0).max(3600).default(10),
  })
  .strict();
export type VideoConfig = z.output<typeof videoSchema>;
