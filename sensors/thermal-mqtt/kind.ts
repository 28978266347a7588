import { sourceKind } from "../kind.js";
import { thermalMqttSchema } from "./schema.js";
import { ThermalMqttSource } from "./thermalMqttSource.js";

export const thermalMqttKind = sourceKind({
  schema: thermalMqttSchema,
  create: (config, sink, log) => new ThermalMqttSource(config, sink, log),
  summary: "a thermal camera (MLX90640 on an ESP32 or a Pi) publishing radiometric frames to an MQTT topic",
  example: "thermal-mqtt.yaml",
});
