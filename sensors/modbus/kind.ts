import { sourceKind } from "../kind.js";
import { checkModbus } from "./check.js";
import { ModbusSource } from "./modbusSource.js";
import { modbusSourceSchema } from "./schema.js";

export const modbusKind = sourceKind({
  schema: modbusSourceSchema,
  create: (config, sink, log) => new ModbusSource(config, sink, log),
  summary: "Modbus RTU devices on a serial line (RS-485) or a Modbus TCP device: registers and bits polled",
  example: "modbus.yaml",
  check: checkModbus,
});
