/**
 * The rules API's shapes (/api/rules, README "Rules from the API"), shared by the gateway and the
 * dashboard, so it imports nothing. A rule is the YAML file's shape; durations come back in ms.
 */
export type ConditionSpec =
  | { above: number; clear?: number }
  | { below: number; clear?: number }
  | { rate: { above?: number; below?: number; per: number | string } }
  | { noData: number | string };

export interface RuleSpec {
  id: string;
  name?: string;
  channels: string[];
  severity?: "critical" | "warning" | "info";
  when: ConditionSpec | { any: ConditionSpec[] } | { all: ConditionSpec[] };
  for?: number | string;
  clearFor?: number | string;
  labels?: Record<string, string>;
  description?: string;
}

export interface RuleMsg extends RuleSpec {
  source: "file" | "ui";
  enabled: boolean;
  version: number;
  updatedAt: number | null;
  updatedBy: string | null;
  /** The channels the rule applies to now. */
  matches: string[];
}

export interface RuleChangeMsg {
  at: number;
  by: string;
  action: "created" | "updated" | "deleted";
  old: (RuleSpec & { enabled: boolean }) | null;
  new: (RuleSpec & { enabled: boolean }) | null;
}

export interface ValidationMsg {
  problems: string[];
  warnings: string[];
  matches: string[];
}

export interface BacktestIntervalMsg {
  state: "pending" | "firing";
  start: number;
  end: number | null;
  peak: number | null;
}

export interface BacktestMsg {
  from: number;
  to: number;
  /** raw: every stored sample; minute: one value per minute; mixed: per minute before rawFrom, raw after. */
  resolution: "raw" | "minute" | "mixed";
  rawFrom: number;
  approximate: string | null;
  samples: number;
  channels: Array<{ channel: string; intervals: BacktestIntervalMsg[]; firings: number; longestFiringMs: number; firingMs: number }>;
  firings: number;
  firingsPerDay: number;
  longestFiringMs: number;
}
