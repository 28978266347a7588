import type { Logger } from "../common/logger.js";
import { microphoneKind } from "./audio/kind.js";
import { typeOf, type SourceKind } from "./kind.js";
import { modbusKind } from "./modbus/kind.js";
import { mqttKind } from "./mqtt/kind.js";
import { oneWireKind } from "./onewire/kind.js";
import { serialKind } from "./serial/kind.js";
import { simulatedKind } from "./simulated/kind.js";
import { sparkplugKind } from "./sparkplug/kind.js";
import { thermalMqttKind } from "./thermal-mqtt/kind.js";
import { thermalSerialKind, thermalUvcKind } from "./thermal/kind.js";
import type { Source, SourceSink } from "./types.js";

/** Every kind of source the gateway can run: add a kind's folder, then one line here. */
export const SOURCE_KINDS = [serialKind, mqttKind, simulatedKind, thermalSerialKind, thermalUvcKind, microphoneKind, modbusKind, oneWireKind, thermalMqttKind, sparkplugKind] as const;

type Schemas<K extends readonly { schema: unknown }[]> = { -readonly [I in keyof K]: K[I]["schema"] };
/** The kinds' schemas as the tuple zod's discriminated union takes. */
export const SOURCE_SCHEMAS = SOURCE_KINDS.map((k) => k.schema) as unknown as Schemas<typeof SOURCE_KINDS>;

const byType = new Map<string, SourceKind>(SOURCE_KINDS.map((k) => [typeOf(k), k]));

export function kindOf(type: string): SourceKind {
  const kind = byType.get(type);
  if (!kind) throw new Error(`unknown source type "${type}"`);
  return kind;
}

/** A validated source configuration (its schema checked `type`, so the kind's factory fits it). */
export function createSource(config: { type: string }, sink: SourceSink, log: Logger): Source {
  return kindOf(config.type).create(config as never, sink, log);
}
