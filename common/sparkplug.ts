import { createRequire } from "node:module";
import type { UMetric, UPayload } from "sparkplug-payload/lib/sparkplugbpayload.js";

// sparkplug-payload is CommonJS with a namespace-keyed export.
const codec = (createRequire(import.meta.url)("sparkplug-payload") as { get(ns: string): { encodePayload(p: UPayload): Uint8Array; decodePayload(b: Uint8Array): UPayload } }).get("spBv1.0");

export const NAMESPACE = "spBv1.0";
export const REBIRTH_METRIC = "Node Control/Rebirth";
export const BDSEQ_METRIC = "bdSeq";

export type MessageType = "NBIRTH" | "NDEATH" | "DBIRTH" | "DDEATH" | "NDATA" | "DDATA" | "NCMD" | "DCMD";
const MESSAGE_TYPES = new Set<string>(["NBIRTH", "NDEATH", "DBIRTH", "DDEATH", "NDATA", "DDATA", "NCMD", "DCMD"]);

export interface SparkplugTopic {
  group: string;
  type: MessageType;
  node: string;
  device?: string;
}

/** `spBv1.0/<group>/<type>/<node>[/<device>]`; undefined for anything else (STATE, other namespaces). */
export function parseTopic(topic: string): SparkplugTopic | undefined {
  const parts = topic.split("/");
  if (parts[0] !== NAMESPACE || parts.length < 4 || parts.length > 5 || !MESSAGE_TYPES.has(parts[2])) return undefined;
  const [, group, type, node, device] = parts;
  const isDevice = type.startsWith("D");
  if (isDevice !== (device !== undefined) || !group || !node || device === "") return undefined;
  return { group, type: type as MessageType, node, device };
}

export function formatTopic(t: SparkplugTopic): string {
  return [NAMESPACE, t.group, t.type, t.node, ...(t.device === undefined ? [] : [t.device])].join("/");
}

/** A valid Sparkplug id element: no topic separators or wildcards (spec: UTF-8, none of / + #). */
export const SPARKPLUG_ID = /^[^/+#\s]{1,64}$/;

export interface Metric {
  name?: string;
  alias?: number;
  timestamp?: number;
  type?: string;
  /** Numbers and booleans as numbers; strings and other kinds as undefined. */
  value?: number | boolean | string | null;
  isNull?: boolean;
  properties?: Record<string, { type: string; value: unknown }>;
}

export interface Payload {
  timestamp?: number;
  seq?: number;
  metrics: Metric[];
}

type LongLike = { low: number; high: number; unsigned: boolean; toNumber?: () => number };
const isLong = (v: unknown): v is LongLike => typeof v === "object" && v !== null && "low" in v && "high" in v;
function num(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (isLong(v)) return v.unsigned ? (v.high >>> 0) * 2 ** 32 + (v.low >>> 0) : v.high * 2 ** 32 + (v.low >>> 0);
  return undefined;
}

/** Decodes a Sparkplug B payload, 64-bit integers as numbers. Throws on bytes that are not one. */
export function decodePayload(bytes: Uint8Array): Payload {
  const raw = codec.decodePayload(bytes);
  return {
    timestamp: num(raw.timestamp),
    seq: num(raw.seq),
    metrics: (raw.metrics ?? []).map((m: UMetric) => {
      const value = typeof m.value === "boolean" || typeof m.value === "string" || m.value === null ? m.value : num(m.value);
      return {
        name: m.name ?? undefined,
        alias: num(m.alias),
        timestamp: num(m.timestamp),
        type: m.type,
        value: m.value === undefined ? undefined : value,
        isNull: m.isNull ?? undefined,
        properties: m.properties as Metric["properties"],
      };
    }),
  };
}

export function encodePayload(p: Payload): Buffer {
  const metrics = p.metrics.map((m) => ({ ...m, value: m.isNull ? null : m.value })) as UMetric[];
  return Buffer.from(codec.encodePayload({ timestamp: p.timestamp, seq: p.seq, metrics }));
}

/** Sparkplug's message sequence: 0…255, then 0 again. */
export const nextSeq = (seq: number): number => (seq + 1) % 256;
