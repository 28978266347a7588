import { sourceKind } from "../kind.js";
import { SimulatedSource, simulatedSourceSchema } from "./simulatedSource.js";

export const simulatedKind = sourceKind({
  schema: simulatedSourceSchema,
  create: (config, sink, log) => new SimulatedSource(config, sink, log),
  summary: "a simulated machine: five temperatures, a thermal camera and a microphone, for trying wachter without hardware",
  example: "simulated.yaml",
});
