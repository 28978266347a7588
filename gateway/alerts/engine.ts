import { isDeepStrictEqual } from "node:util";
import type { ChannelInfo } from "../../sensors/index.js";
import { systemClock, toMono, toWall, type Clock } from "../../common/clock.js";
import type { Logger } from "../../common/logger.js";
import type { HubEvent } from "../hub/hub.js";
import { ConditionState } from "./conditions.js";
import { conditionsOf, matchesChannel, type AlertsConfig, type Rule } from "./schema.js";

export type Phase = "normal" | "pending" | "firing";
export type AlertState = "pending" | "firing" | "resolved";

export interface Ack {
  by: string;
  at: number;
  note: string;
}

/** What survives a restart, including running `for` timers (pendingSince) and acks. */
export interface AlertRecord {
  id: string;
  rule: string;
  channel: string;
  phase: Phase;
  pendingSince: number | null;
  firingSince: number | null;
  clearingSince: number | null;
  resolvedAt: number | null;
  value: number | null;
  ack: Ack | null;
  shelvedUntil: number | null;
  updatedAt: number;
}

export interface AlertView extends AlertRecord {
  state: AlertState;
  name: string;
  severity: Rule["severity"];
  labels: Record<string, string>;
  description: string;
  unit: string;
}

export interface Transition {
  alert: AlertView;
  from: string;
  to: string;
  at: number;
  /** Notifiers stay quiet: the alert is shelved, or part of a flood announced once. */
  quiet: boolean;
}

export interface FloodEvent {
  at: number;
  count: number;
  windowMs: number;
}

export interface AlertStore {
  loadAlerts(): AlertRecord[];
  saveAlert(record: AlertRecord): void;
  recordTransition(t: { id: string; from: string; to: string; at: number; value: number | null; detail: string }): void;
}

export interface AlertListener {
  transition?(t: Transition): void;
  flood?(e: FloodEvent): void;
  /** The rule set changed (limits, alerts that ended with their rule). */
  rules?(): void;
}

/** Times ending in `Mono` are on the monotonic clock: a wall-clock jump neither shortens nor stretches them. */
interface Instance extends Omit<AlertRecord, "pendingSince" | "clearingSince" | "shelvedUntil"> {
  conditions: ConditionState[];
  mode: "any" | "all";
  lastReadingMono: number | undefined;
  createdMono: number;
  pendingMono: number | null;
  clearingMono: number | null;
  shelvedUntilMono: number | null;
  resolvedMono: number | null;
  /** Order of the last change in this run (0: none yet): the list's order, whatever the wall clock did. */
  changeSeq: number;
}

export class AlertError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const alertId = (rule: string, channel: string) => `${rule}~${channel}`;

/**
 * Evaluates the rules on the gateway itself: normal → pending → firing → resolved, with
 * hysteresis, `for` and `clearFor` durations, rates, no-data, OR/AND, acks, shelving and a
 * flood guard. One alert per rule and channel; state is written through to the store on every
 * change so timers continue across restarts.
 *
 * Durations run on the monotonic clock, so a wall-clock jump (NTP arriving hours late, or setting
 * the clock back) neither fires a pending alert early nor holds it back. Timer states shown and
 * stored as wall times (pendingSince, clearingSince, shelvedUntil) are the monotonic ones as the
 * wall clock reads now: after a jump a one-hour shelving still ends an hour after it began, and
 * its until moves with the clock. Stamps of what happened (firingSince, resolvedAt, acks,
 * transitions) keep the wall time they were made at.
 */
export class AlertEngine {
  private readonly instances = new Map<string, Instance>();
  private readonly saved = new Map<string, AlertRecord>();
  private readonly channels = new Map<string, ChannelInfo>();
  private readonly listeners = new Set<AlertListener>();
  private rules: Map<string, Rule>;
  private firingTimes: number[] = [];
  private flooding = false;
  private changes = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: AlertsConfig,
    private readonly store: AlertStore,
    private readonly log: Logger,
    private readonly clock: Clock = systemClock,
  ) {
    this.rules = new Map(config.rules.map((r) => [r.id, r]));
    for (const record of store.loadAlerts()) if (this.rules.has(record.rule)) this.saved.set(record.id, record);
  }

  start(tickMs = 1000): void {
    this.timer = setInterval(() => this.tick(), tickMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  subscribe(listener: AlertListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  ruleList(): Rule[] {
    return [...this.rules.values()];
  }

  /**
   * Replaces the rule set while running. Unchanged rules keep their alerts and timers; an edited
   * or removed rule's alerts end (a firing one resolves, saying why) and an edited rule starts
   * afresh on every channel it matches, its `for` timers from zero.
   */
  setRules(rules: Rule[]): void {
    const next = new Map(rules.map((r) => [r.id, r]));
    const t = this.clock.wall();
    for (const [id, old] of this.rules) {
      const rule = next.get(id);
      if (rule && isDeepStrictEqual(rule, old)) continue;
      for (const inst of [...this.instances.values()].filter((i) => i.rule === id)) {
        if (inst.phase !== "normal") {
          const from = inst.phase;
          inst.phase = "normal";
          inst.pendingMono = null;
          inst.clearingMono = null;
          inst.resolvedAt = from === "firing" ? t : inst.resolvedAt;
          this.change(inst, from, from === "firing" ? "resolved" : "normal", rule ? "rule changed" : "rule removed");
        }
        this.instances.delete(inst.id);
        this.saved.delete(inst.id);
      }
    }
    const added = [...next.values()].filter((r) => !isDeepStrictEqual(this.rules.get(r.id), r));
    this.rules = next;
    for (const rule of added) for (const info of this.channels.values()) this.instantiate(rule, info);
    for (const l of this.listeners) l.rules?.();
  }

  /** Feed from the hub. */
  onHubEvent(e: HubEvent): void {
    if (e.type === "channel") this.channelDefined(e.info);
    else if (e.type === "reading") this.reading(e.channel, e.value);
  }

  tick(): void {
    const t = this.clock.mono();
    for (const inst of this.instances.values()) {
      for (const c of inst.conditions) c.tick(t, inst.lastReadingMono, inst.createdMono);
      this.evaluate(inst, t);
    }
  }

  list(): AlertView[] {
    const t = this.clock.mono();
    return [...this.instances.values()]
      .filter((i) => i.phase !== "normal" || (i.resolvedMono !== null && t - i.resolvedMono < this.config.keepResolved))
      .sort((a, b) => b.changeSeq - a.changeSeq || b.updatedAt - a.updatedAt)
      .map((i) => this.view(i));
  }

  get(id: string): AlertView | undefined {
    const inst = this.instances.get(id);
    return inst ? this.view(inst) : undefined;
  }

  acknowledge(id: string, by: string, note: string): AlertView {
    const inst = this.require(id);
    if (inst.phase !== "firing") throw new AlertError(409, "only a firing alert can be acknowledged");
    inst.ack = { by, at: this.clock.wall(), note };
    this.change(inst, "firing", "acknowledged", `acknowledged by ${by}${note ? `: ${note}` : ""}`);
    return this.view(inst);
  }

  /** Shelves for `forMs` (monotonic: a clock jump does not shorten it), or unshelves with null. */
  shelve(id: string, by: string, forMs: number | null): AlertView {
    const inst = this.require(id);
    inst.shelvedUntilMono = forMs === null ? null : this.clock.mono() + forMs;
    const until = this.wallOf(inst.shelvedUntilMono);
    const detail = until !== null ? `shelved by ${by} until ${new Date(until).toISOString()}` : `unshelved by ${by}`;
    this.change(inst, this.state(inst), until !== null ? "shelved" : "unshelved", detail);
    return this.view(inst);
  }

  private require(id: string): Instance {
    const inst = this.instances.get(id);
    if (!inst) throw new AlertError(404, "no such alert");
    return inst;
  }

  private channelDefined(info: ChannelInfo): void {
    this.channels.set(info.id, info);
    for (const rule of this.rules.values()) this.instantiate(rule, info);
  }

  private instantiate(rule: Rule, info: ChannelInfo): void {
    if (!rule.channels.some((p) => matchesChannel(p, info.id))) return;
    const id = alertId(rule.id, info.id);
    if (this.instances.has(id)) return;
    const { mode, conditions } = conditionsOf(rule);
    const saved = this.saved.get(id);
    const t = this.clock.mono();
    // A saved timer continues from the wall time it was saved with: elapsed by the wall clock, never negative.
    const resume = (wall: number | null | undefined) => (wall === null || wall === undefined ? null : Math.min(t, toMono(this.clock, wall)));
    const { pendingSince, clearingSince, shelvedUntil, ...stamps } = saved ?? { pendingSince: null, clearingSince: null, shelvedUntil: null };
    const inst: Instance = {
      id,
      rule: rule.id,
      channel: info.id,
      phase: "normal",
      firingSince: null,
      resolvedAt: null,
      value: null,
      ack: null,
      updatedAt: this.clock.wall(),
      ...stamps,
      conditions: conditions.map((c) => new ConditionState(c)),
      mode,
      lastReadingMono: undefined,
      createdMono: t,
      pendingMono: resume(pendingSince),
      clearingMono: resume(clearingSince),
      shelvedUntilMono: shelvedUntil === null ? null : toMono(this.clock, shelvedUntil),
      resolvedMono: resume(saved?.resolvedAt),
      changeSeq: 0,
    };
    // Carry hysteresis across a restart: a firing alert's thresholds stay latched until clear.
    if (inst.phase !== "normal") for (const c of inst.conditions) if (!("noData" in c.condition)) c.active = true;
    this.instances.set(id, inst);
  }

  private reading(channel: string, value: number): void {
    const t = this.clock.mono();
    for (const rule of this.rules.values()) {
      const inst = this.instances.get(alertId(rule.id, channel));
      if (!inst) continue;
      inst.value = value;
      inst.lastReadingMono = t;
      for (const c of inst.conditions) {
        c.dataSeen();
        c.reading(value, t);
      }
      this.evaluate(inst, t);
    }
  }

  private evaluate(inst: Instance, t: number): void {
    const rule = this.rules.get(inst.rule)!;
    const active = inst.mode === "any" ? inst.conditions.some((c) => c.active) : inst.conditions.every((c) => c.active);
    switch (inst.phase) {
      case "normal":
        if (!active) return;
        if (rule.for === 0) return this.fire(inst, t);
        inst.phase = "pending";
        inst.pendingMono = t;
        return this.change(inst, "normal", "pending", this.describe(inst));
      case "pending":
        if (!active) {
          inst.phase = "normal";
          inst.pendingMono = null;
          return this.change(inst, "pending", "normal", "condition cleared before firing");
        }
        if (t - inst.pendingMono! >= rule.for) this.fire(inst, t);
        return;
      case "firing":
        if (active) {
          if (inst.clearingMono !== null) {
            inst.clearingMono = null;
            this.store.saveAlert(this.record(inst));
          }
          return;
        }
        if (inst.clearingMono === null) {
          inst.clearingMono = t;
          this.store.saveAlert(this.record(inst));
        }
        if (t - inst.clearingMono >= rule.clearFor) {
          inst.phase = "normal";
          inst.pendingMono = null;
          inst.clearingMono = null;
          inst.resolvedAt = this.clock.wall();
          inst.resolvedMono = t;
          this.change(inst, "firing", "resolved", this.describe(inst));
        }
        return;
    }
  }

  private fire(inst: Instance, t: number): void {
    const from = inst.phase;
    inst.phase = "firing";
    inst.firingSince = this.clock.wall();
    inst.clearingMono = null;
    inst.resolvedAt = null;
    inst.resolvedMono = null;
    inst.ack = null;
    this.firingTimes = this.firingTimes.filter((x) => t - x < this.config.flood.window);
    this.firingTimes.push(t);
    const flood = this.firingTimes.length > this.config.flood.max;
    if (flood && !this.flooding) {
      const e: FloodEvent = { at: inst.firingSince, count: this.firingTimes.length, windowMs: this.config.flood.window };
      this.log.warn({ count: e.count }, "alert flood: further alerts in this window are grouped");
      for (const l of this.listeners) l.flood?.(e);
    }
    this.flooding = flood;
    this.change(inst, from, "firing", this.describe(inst), flood);
  }

  private change(inst: Instance, from: string, to: string, detail: string, grouped = false): void {
    inst.updatedAt = this.clock.wall();
    inst.changeSeq = ++this.changes;
    this.store.saveAlert(this.record(inst));
    this.store.recordTransition({ id: inst.id, from, to, at: inst.updatedAt, value: inst.value, detail });
    const view = this.view(inst);
    const shelved = inst.shelvedUntilMono !== null && inst.shelvedUntilMono > this.clock.mono();
    const transition: Transition = { alert: view, from, to, at: inst.updatedAt, quiet: grouped || shelved };
    this.log.info({ alert: inst.id, from, to, value: inst.value }, detail);
    for (const l of this.listeners) {
      try {
        l.transition?.(transition);
      } catch (err) {
        this.log.error({ err: (err as Error).message }, "alert listener failed");
      }
    }
  }

  private state(inst: Instance): AlertState {
    return inst.phase === "normal" ? "resolved" : inst.phase;
  }

  private describe(inst: Instance): string {
    const rule = this.rules.get(inst.rule)!;
    const info = this.channels.get(inst.channel);
    const value = inst.value === null ? "no data" : String(Number(inst.value.toFixed(2)));
    const template = rule.description ?? `${rule.name ?? rule.id}: ${info?.name ?? inst.channel} is {{value}} {{unit}}`;
    return template
      .replaceAll("{{value}}", value)
      .replaceAll("{{channel}}", inst.channel)
      .replaceAll("{{name}}", info?.name ?? inst.channel)
      .replaceAll("{{unit}}", info?.unit ?? "");
  }

  private record(inst: Instance): AlertRecord {
    const { id, rule, channel, phase, firingSince, resolvedAt, value, ack, updatedAt } = inst;
    const [pendingSince, clearingSince, shelvedUntil] = [inst.pendingMono, inst.clearingMono, inst.shelvedUntilMono].map((m) => this.wallOf(m));
    return { id, rule, channel, phase, pendingSince, firingSince, clearingSince, resolvedAt, value, ack, shelvedUntil, updatedAt };
  }

  /** A monotonic timer state as the wall clock reads now. */
  private wallOf(mono: number | null): number | null {
    return mono === null ? null : Math.round(toWall(this.clock, mono));
  }

  private view(inst: Instance): AlertView {
    const rule = this.rules.get(inst.rule)!;
    return {
      ...this.record(inst),
      state: this.state(inst),
      name: rule.name ?? rule.id,
      severity: rule.severity,
      labels: rule.labels,
      description: this.describe(inst),
      unit: this.channels.get(inst.channel)?.unit ?? "",
    };
  }
}
