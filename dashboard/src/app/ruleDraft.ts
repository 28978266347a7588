import type { ConditionSpec, RuleSpec } from "../../../gateway/protocol/rules.js";

/** The editor's form: one condition in plain fields, or any rule as JSON ("advanced"). */
export interface Draft {
  id: string;
  name: string;
  channels: string;
  severity: "critical" | "warning" | "info";
  kind: "above" | "below" | "rate" | "noData" | "advanced";
  limit: string;
  clear: string;
  rateDirection: "above" | "below";
  per: string;
  noData: string;
  forText: string;
  clearForText: string;
  description: string;
  /** "area=spindle, line=3" */
  labels: string;
  enabled: boolean;
  /** The whole `when` as JSON, for any/all and what the fields cannot say. */
  whenJson: string;
}

const num = (s: string) => (s.trim() === "" ? undefined : Number(s.replace(",", ".")));
const ms = (v: number | string | undefined) => (v === undefined ? "" : typeof v === "number" ? (v % 1000 === 0 ? `${v / 1000}s` : `${v}ms`) : v);

/** The rule a draft stands for, in the YAML shape the gateway checks. */
export function ruleOf(d: Draft): RuleSpec {
  let when: RuleSpec["when"];
  switch (d.kind) {
    case "above":
      when = { above: num(d.limit) as number, ...(num(d.clear) === undefined ? {} : { clear: num(d.clear) }) };
      break;
    case "below":
      when = { below: num(d.limit) as number, ...(num(d.clear) === undefined ? {} : { clear: num(d.clear) }) };
      break;
    case "rate":
      when = { rate: { [d.rateDirection]: num(d.limit), per: d.per || "1m" } };
      break;
    case "noData":
      when = { noData: d.noData };
      break;
    default:
      try {
        when = JSON.parse(d.whenJson) as RuleSpec["when"];
      } catch {
        when = d.whenJson as unknown as RuleSpec["when"];
      }
  }
  return {
    id: d.id,
    ...(d.name ? { name: d.name } : {}),
    channels: d.channels
      .split(",")
      .map((c) => c.trim())
      .filter(Boolean),
    severity: d.severity,
    when,
    ...(d.forText ? { for: d.forText } : {}),
    ...(d.clearForText ? { clearFor: d.clearForText } : {}),
    ...(d.description ? { description: d.description } : {}),
    ...(d.labels.trim() ? { labels: labelsOf(d.labels) } : {}),
  };
}

/** "a=b, c=d" as labels; a pair without "=" keeps its text as the key, for the gateway to name the problem. */
function labelsOf(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const eq = pair.indexOf("=");
    if (eq < 0) out[pair] = "";
    else out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return out;
}

/** A rule as a draft: plain fields when it has one simple condition, JSON otherwise. */
export function draftOf(r: RuleSpec, enabled = true): Draft {
  const d: Draft = {
    id: r.id,
    name: r.name ?? "",
    channels: r.channels.join(", "),
    severity: r.severity ?? "warning",
    kind: "advanced",
    limit: "",
    clear: "",
    rateDirection: "above",
    per: "1m",
    noData: "30s",
    forText: r.for ? ms(r.for) : "",
    clearForText: r.clearFor ? ms(r.clearFor) : "",
    description: r.description ?? "",
    labels: Object.entries(r.labels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(", "),
    enabled,
    whenJson: JSON.stringify(r.when),
  };
  const c = r.when as ConditionSpec;
  if ("above" in c) Object.assign(d, { kind: "above", limit: String(c.above), clear: c.clear === undefined ? "" : String(c.clear) });
  else if ("below" in c) Object.assign(d, { kind: "below", limit: String(c.below), clear: c.clear === undefined ? "" : String(c.clear) });
  else if ("rate" in c) Object.assign(d, { kind: "rate", rateDirection: c.rate.above !== undefined ? "above" : "below", limit: String(c.rate.above ?? c.rate.below), per: ms(c.rate.per) });
  else if ("noData" in c) Object.assign(d, { kind: "noData", noData: ms(c.noData) });
  return d;
}

/**
 * A first limit for a channel, from its recent values: a little above the highest seen (or below
 * the lowest), a clear level a few percent back for hysteresis, 10 s before it fires.
 */
export function quickDraft(channel: string, name: string, recent: number[], decimals = 1, direction: "above" | "below" = "above"): Draft {
  const step = 10 ** -decimals;
  const round = (v: number) => Number((Math.round(v / step) * step).toFixed(decimals));
  const edge = recent.length ? (direction === "above" ? Math.max(...recent) : Math.min(...recent)) : 0;
  const margin = Math.max(Math.abs(edge) * 0.1, 1);
  const limit = round(direction === "above" ? edge + margin : edge - margin);
  const band = Math.max(Math.abs(limit) * 0.03, step);
  const id = `${channel}-${direction === "above" ? "high" : "low"}`.replace(/[^A-Za-z0-9_-]+/g, "-").slice(0, 64);
  return {
    ...draftOf({ id, name: `${name} ${direction === "above" ? "high" : "low"}`, channels: [channel], severity: "warning", when: direction === "above" ? { above: limit } : { below: limit }, for: "10s" }),
    clear: String(round(direction === "above" ? limit - band : limit + band)),
  };
}
