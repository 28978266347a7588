import { sourceKind } from "../kind.js";
import { OneWireSource } from "./oneWireSource.js";
import { oneWireDevices } from "./probe.js";
import { oneWireSchema } from "./schema.js";

export const oneWireKind = sourceKind({
  schema: oneWireSchema,
  create: (config, sink, log) => new OneWireSource(config, sink, log),
  summary: "1-Wire temperature sensors (DS18B20 and the other w1_therm families) through the kernel's sysfs",
  example: "onewire.yaml",
  devices: () => oneWireDevices(),
});
