import { sourceKind } from "../kind.js";
import { MqttSource, mqttSourceSchema } from "./mqttSource.js";

export const mqttKind = sourceKind({
  schema: mqttSourceSchema,
  create: (config, sink, log) => new MqttSource(config, sink, log),
  summary: "MQTT topics carrying a number or JSON per message",
  example: "mqtt-sensors.yaml",
});
