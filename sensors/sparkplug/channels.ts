import { createHash } from "node:crypto";
import type { ChannelInfo } from "../types.js";
import type { MetricRef } from "./hostState.js";
import type { SparkplugSourceOptions } from "./schema.js";

export const metricPath = (r: MetricRef): string => `${r.group}/${r.node}/${r.device ?? ""}/${r.metric}`;

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.split("*").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
}

/** A channel id from the template: unsafe characters become _, and one too long ends in a hash. */
export function channelId(template: string, r: MetricRef): string {
  const values: Record<string, string> = { group: r.group, node: r.node, device: r.device ?? "", metric: r.metric };
  const raw = template.replace(/\{(\w+)\}/g, (_, k: string) => values[k] ?? "");
  const id = raw
    .replace(/[^A-Za-z0-9_.:-]+/g, "_")
    .replace(/\.{2,}/g, ".")
    .replace(/^[.:-]+|[_.:-]+$/g, "");
  if (id.length <= 128) return id || "_";
  return `${id.slice(0, 119)}~${createHash("sha256").update(raw).digest("hex").slice(0, 8)}`;
}

/** Which Sparkplug metrics become which channels, by the source's configuration. */
export class ChannelMap {
  private readonly include: RegExp[];

  constructor(private readonly options: SparkplugSourceOptions) {
    this.include = options.include.map(globToRegExp);
  }

  /** The channel for a metric, or undefined when it is not included. */
  info(ref: MetricRef, unit: string | undefined, source: string): ChannelInfo | undefined {
    const path = metricPath(ref);
    if (!this.include.some((r) => r.test(path))) return undefined;
    const o = this.options.metrics[path] ?? {};
    return {
      id: o.channel ?? channelId(this.options.channel, ref),
      name: o.name ?? ref.metric,
      unit: o.unit ?? unit ?? "",
      source,
      staleAfterMs: this.options.staleAfter,
      decimals: o.decimals,
      group: o.group ?? (ref.device ? `${ref.node} / ${ref.device}` : ref.node),
    };
  }
}
