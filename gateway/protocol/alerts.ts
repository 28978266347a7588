/**
 * The `alerts` data channel's messages, version 1 (docs/protocol.md). Reliable and ordered.
 * Shared by the gateway and the dashboard, so it imports nothing.
 */
export const ALERTS_LABEL = "alerts";

export interface AlertMsg {
  id: string;
  rule: string;
  channel: string;
  name: string;
  severity: "critical" | "warning" | "info";
  state: "pending" | "firing" | "resolved";
  value: number | null;
  unit: string;
  description: string;
  labels: Record<string, string>;
  pendingSince: number | null;
  firingSince: number | null;
  resolvedAt: number | null;
  ack: { by: string; at: number; note: string } | null;
  shelvedUntil: number | null;
  updatedAt: number;
  /** Root CID of the newest finalised incident record of this firing; null before there is one. */
  incident: string | null;
}

/** A threshold to draw on a channel's chart. */
export interface ThresholdMsg {
  channel: string;
  rule: string;
  severity: AlertMsg["severity"];
  kind: "above" | "below";
  value: number;
}

export type AlertsMessage =
  | { v: 1; t: "alerts"; alerts: AlertMsg[]; thresholds: ThresholdMsg[] }
  | { v: 1; t: "alert"; alert: AlertMsg; from: string; to: string; at: number }
  /** A firing's incident record (or a newer version of it) was finalised. */
  | { v: 1; t: "incident"; alert: string; firingSince: number; cid: string }
  | { v: 1; t: "flood"; at: number; count: number; windowMs: number };
