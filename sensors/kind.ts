import type { z } from "zod";
import type { Finding } from "../common/findings.js";
import type { Logger } from "../common/logger.js";
import type { Source, SourceSink } from "./types.js";

type KindSchema = z.ZodObject<{ type: z.ZodLiteral<string>; id: z.ZodType<string> }>;

/**
 * Everything the gateway needs to know about one kind of source, in one place: how it is
 * configured, how it is made, what `wachter doctor` looks for, and where it is documented.
 * Register a new kind by adding it to SOURCE_KINDS in kinds.ts.
 */
export interface SourceKind<S extends KindSchema = KindSchema> {
  /** Its configuration; the `type` literal names the kind. */
  schema: S;
  create(config: z.output<S>, sink: SourceSink, log: Logger): Source;
  /** One line: what it reads. */
  summary: string;
  /** A commented example configuration, relative to deploy/examples/. */
  example: string;
  /**
   * What doctor lists on this machine for this kind (devices found, tools missing). Kinds that
   * share hardware share the function, which then runs once.
   */
  devices?: () => Promise<Finding[]>;
  /**
   * How doctor tries one configured source of this kind, when reading it for a few seconds and
   * counting is not the most useful answer (e.g. polling every Modbus point once).
   */
  check?(config: z.output<S>, log: Logger): Promise<Finding[]>;
}

export function sourceKind<S extends KindSchema>(kind: SourceKind<S>): SourceKind<S> {
  return kind;
}

export function typeOf(kind: SourceKind): string {
  return kind.schema.shape.type.value;
}
