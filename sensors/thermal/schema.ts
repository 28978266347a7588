import { z } from "zod";
import { durationSchema } from "../../common/durations.js";
import { sourceIdSchema } from "../common/schemas.js";
import { BAUD_RATES } from "../serial/baudRates.js";
import { roiFits, roiSchema } from "./frame.js";

/** What every camera kind is configured with. */
export const cameraFields = {
  id: sourceIdSchema,
  name: z.string().min(1).max(80).optional(),
  rois: z.array(roiSchema).default([]),
  staleAfter: durationSchema.default(5000),
};

export function checkRois(cfg: { width: number; height: number; rois: Array<{ name: string; x: number; y: number; width: number; height: number }> }, ctx: z.RefinementCtx): void {
  const names = new Set<string>();
  cfg.rois.forEach((roi, i) => {
    if (!roiFits(roi, cfg.width, cfg.height)) {
      ctx.addIssue({ code: "custom", path: ["rois", i], message: `region ${roi.x},${roi.y} ${roi.width}×${roi.height} does not fit in the ${cfg.width}×${cfg.height} frame` });
    }
    if (names.has(roi.name)) ctx.addIssue({ code: "custom", path: ["rois", i, "name"], message: `duplicate region name "${roi.name}"` });
    names.add(roi.name);
  });
}

export const thermalSerialSchema = z
  .object({
    ...cameraFields,
    type: z.literal("thermal-serial"),
    path: z.string().regex(/^\/[A-Za-z0-9_./:+@-]+$/, "expected an absolute device path such as /dev/serial/by-id/usb-…"),
    baudRate: z.literal(BAUD_RATES, { error: "expected one of 9600…921600" }).default(921600),
    /** "csv": one line of width×height °C values per frame; "binary": the framed format of docs/protocol.md. */
    format: z.enum(["csv", "binary"]),
    width: z.number().int().min(1).max(1024).default(32),
    height: z.number().int().min(1).max(1024).default(24),
  })
  .strict()
  .superRefine(checkRois);
export type ThermalSerialOptions = z.output<typeof thermalSerialSchema>;

export const thermalUvcSchema = z
  .object({
    ...cameraFields,
    type: z.literal("thermal-uvc"),
    /** A V4L2 device (prefer /dev/v4l/by-id/…), or with input: rawvideo a file or FIFO of Y16 frames. */
    device: z.string().regex(/^\/[A-Za-z0-9_./:+@-]+$/, "expected an absolute path such as /dev/v4l/by-id/usb-GroupGets_PureThermal…-video-index0"),
    input: z.enum(["v4l2", "rawvideo"]).default("v4l2"),
    width: z.number().int().min(1).max(640).default(160),
    height: z.number().int().min(1).max(512).default(120),
    /** Lepton telemetry rows that some boards append (160×122): not image, dropped. */
    telemetryRows: z.number().int().min(0).max(4).default(0),
    frameRate: z.number().min(0.5).max(60).default(9),
  })
  .strict()
  .superRefine(checkRois);
export type ThermalUvcOptions = z.output<typeof thermalUvcSchema>;
