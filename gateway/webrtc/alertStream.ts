import type { AlertMsg, AlertsMessage, ThresholdMsg } from "../protocol/alerts.js";
import type { MessageOut } from "./telemetryStream.js";
import type { AlertEngine, AlertView } from "../alerts/engine.js";
import { conditionsOf, matchesChannel } from "../alerts/schema.js";
import type { IncidentOf } from "../incidents/incidentStore.js";
import type { FinalisedIncident } from "../incidents/recorder.js";

export function alertMsg(a: AlertView, incidentOf: IncidentOf): AlertMsg {
  const { id, rule, channel, name, severity, state, value, unit, description, labels, pendingSince, firingSince, resolvedAt, ack, shelvedUntil, updatedAt } = a;
  return { id, rule, channel, name, severity, state, value, unit, description, labels, pendingSince, firingSince, resolvedAt, ack, shelvedUntil, updatedAt, incident: incidentOf(id, firingSince) };
}

/** What the alert stream needs of incident records: a firing's CID, and word of each one finalised. */
export interface IncidentLinks {
  of: IncidentOf;
  subscribe(listener: (e: FinalisedIncident) => void): () => void;
}

export function thresholds(engine: AlertEngine, channels: string[]): ThresholdMsg[] {
  const out: ThresholdMsg[] = [];
  for (const rule of engine.ruleList()) {
    for (const channel of channels) {
      if (!rule.channels.some((p) => matchesChannel(p, channel))) continue;
      for (const c of conditionsOf(rule).conditions) {
        if ("above" in c) out.push({ channel, rule: rule.id, severity: rule.severity, kind: "above", value: c.above });
        if ("below" in c) out.push({ channel, rule: rule.id, severity: rule.severity, kind: "below", value: c.below });
      }
    }
  }
  return out;
}

/** Feeds one viewer's `alerts` channel: the current list first, then every transition and every finalised incident record. */
export class AlertStream {
  private unsubscribe: Array<() => void> = [];

  constructor(
    private readonly engine: AlertEngine,
    private readonly incidents: IncidentLinks,
    private readonly channelIds: () => string[],
    private readonly out: MessageOut,
  ) {}

  start(): void {
    if (this.unsubscribe.length) return;
    this.snapshot();
    this.unsubscribe.push(
      this.engine.subscribe({
        transition: (t) => this.send({ v: 1, t: "alert", alert: alertMsg(t.alert, this.incidents.of), from: t.from, to: t.to, at: t.at }),
        flood: (e) => this.send({ v: 1, t: "flood", at: e.at, count: e.count, windowMs: e.windowMs }),
        rules: () => this.snapshot(),
      }),
      this.incidents.subscribe(({ alert, incident }) => this.send({ v: 1, t: "incident", alert: alert.id, firingSince: incident.firingAt, cid: incident.cid })),
    );
  }

  stop(): void {
    for (const off of this.unsubscribe.splice(0)) off();
  }

  /** The whole list and every channel's limits: first, and again whenever the rules change. */
  private snapshot(): void {
    this.send({ v: 1, t: "alerts", alerts: this.engine.list().map((a) => alertMsg(a, this.incidents.of)), thresholds: thresholds(this.engine, this.channelIds()) });
  }

  private send(msg: AlertsMessage): void {
    this.out.send(JSON.stringify(msg));
  }
}
