import { z } from "zod";
import { brokerFields } from "../../common/mqttBroker.js";
import { isValidFilter } from "../mqtt/topics.js";
import { cameraFields, checkRois } from "../thermal/schema.js";
import { frameFormatSchema } from "./frameFormat.js";

export const thermalMqttSchema = z
  .object({
    ...cameraFields,
    type: z.literal("thermal-mqtt"),
    ...brokerFields,
    /** One camera per topic, so no wildcards. */
    topic: z.string().refine((t) => isValidFilter(t) && !/[+#]/.test(t), "expected an MQTT topic without wildcards (one camera per topic)"),
    qos: z.union([z.literal(0), z.literal(1)]).default(0),
    format: frameFormatSchema,
    width: z.number().int().min(1).max(1024).default(32),
    height: z.number().int().min(1).max(1024).default(24),
  })
  .strict()
  .refine((c) => c.width * c.height <= 640 * 512, { message: "at most 640 × 512 pixels", path: ["height"] })
  .superRefine(checkRois);
export type ThermalMqttOptions = z.output<typeof thermalMqttSchema>;
