import { sourceKind } from "../kind.js";
import { serialPorts } from "./probe.js";
import { SerialSource, serialSourceSchema } from "./serialSource.js";

export const serialKind = sourceKind({
  schema: serialSourceSchema,
  create: (config, sink, log) => new SerialSource(config, sink, log),
  summary: "a board on a serial port that prints lines of text (JSON, key=value or CSV)",
  example: "serial-board.yaml",
  devices: serialPorts,
});
