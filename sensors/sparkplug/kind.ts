import { sourceKind } from "../kind.js";
import { sparkplugSourceSchema } from "./schema.js";
import { SparkplugSource } from "./sparkplugSource.js";

export const sparkplugKind = sourceKind({
  schema: sparkplugSourceSchema,
  create: (config, sink, log) => new SparkplugSource(config, sink, log),
  summary: "Sparkplug B edge nodes (Ignition, PLC gateways) on the plant's MQTT broker, as a host application",
  example: "sparkplug.yaml",
});
