import { sourceKind } from "../kind.js";
import { serialPorts } from "../serial/probe.js";
import { videoDevices } from "./probe.js";
import { thermalSerialSchema, thermalUvcSchema } from "./schema.js";
import { ThermalSerialSource } from "./thermalSerialSource.js";
import { UvcThermalSource } from "./uvcSource.js";

export const thermalSerialKind = sourceKind({
  schema: thermalSerialSchema,
  create: (config, sink, log) => new ThermalSerialSource(config, sink, log),
  summary: "an MLX90640-style thermal camera board sending radiometric frames on a serial port",
  example: "mlx90640.yaml",
  devices: serialPorts,
});

export const thermalUvcKind = sourceKind({
  schema: thermalUvcSchema,
  create: (config, sink, log) => new UvcThermalSource(config, sink, log),
  summary: "a UVC thermal camera with Y16 radiometric frames (PureThermal/Lepton) through ffmpeg",
  example: "purethermal.yaml",
  devices: videoDevices,
});
