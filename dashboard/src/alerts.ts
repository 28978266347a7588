import type { AlertMsg, AlertsMessage, ThresholdMsg } from "../../gateway/protocol/alerts.js";
import { signal } from "@preact/signals";
import { duration, SEVERITY_ICON, SHELVE_FOR } from "./app/AlarmBanner.js";
import { language, t, type MessageKey } from "./app/i18n.js";
import { el, setText } from "./format.js";

const SEVERITY_ORDER = { critical: 0, warning: 1, info: 2 } as const;
const worstNewestFirst = (a: AlertMsg, b: AlertMsg) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || b.updatedAt - a.updatedAt;

export class AlertBook {
  alerts = new Map<string, AlertMsg>();
  thresholds: ThresholdMsg[] = [];
  flood: { at: number; count: number } | undefined;
  dirty = true;
  /** Counts changes, for components that follow the book (a card's alarms) without following the clock. */
  readonly changes = signal(0);

  apply(msg: AlertsMessage): void {
    if (msg.t === "alerts") {
      this.alerts = new Map(msg.alerts.map((a) => [a.id, a]));
      this.thresholds = msg.thresholds;
    } else if (msg.t === "alert") {
      if (msg.to === "normal") this.alerts.delete(msg.alert.id);
      else this.alerts.set(msg.alert.id, msg.alert);
    } else if (msg.t === "flood") {
      this.flood = { at: msg.at, count: msg.count };
    } else if (msg.t === "incident") {
      const alert = this.alerts.get(msg.alert);
      if (alert?.firingSince === msg.firingSince) this.alerts.set(alert.id, { ...alert, incident: msg.cid });
    }
    this.dirty = true;
    this.changes.value++;
  }

  /** Firing first, then by severity, newest first. */
  sorted(): AlertMsg[] {
    const rank = (a: AlertMsg) => (a.state === "firing" ? 0 : a.state === "pending" ? 1 : 2);
    return [...this.alerts.values()].sort((a, b) => rank(a) - rank(b) || worstNewestFirst(a, b));
  }

  /** A channel's firing alarms, worst first. */
  firingOn(channel: string): AlertMsg[] {
    return [...this.alerts.values()].filter((a) => a.channel === channel && a.state === "firing").sort(worstNewestFirst);
  }

  /** The worst firing severity on a channel, for highlighting its card: asked for every card on every paint tick, so it allocates nothing. */
  channelSeverity(channel: string): AlertMsg["severity"] | undefined {
    let worst: AlertMsg["severity"] | undefined;
    for (const a of this.alerts.values()) {
      if (a.channel !== channel || a.state !== "firing") continue;
      if (!worst || SEVERITY_ORDER[a.severity] < SEVERITY_ORDER[worst]) worst = a.severity;
    }
    return worst;
  }

  thresholdsFor(channel: string): ThresholdMsg[] {
    return this.thresholds.filter((t) => t.channel === channel);
  }
}

export interface AlertActions {
  canAct(): boolean;
  ack(id: string, note: string): void;
  shelve(id: string, forMs: number | null): void;
}

function since(from: number | null, now: number): string {
  if (from === null) return "";
  const s = Math.max(0, Math.round((now - from) / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/** The alert list panel (the banner is app/AlarmBanner). */
export class AlertView {
  /** Each alert's row and what it was built from: a row is built again only when that changes. */
  private rows = new Map<string, { alert: AlertMsg; row: HTMLElement; key: string }>();
  private builtIn = language.peek();

  constructor(
    private readonly book: AlertBook,
    private readonly list: HTMLElement,
    private readonly actions: AlertActions,
  ) {}

  render(now: number): void {
    if (this.book.dirty || this.builtIn !== language.peek()) {
      this.book.dirty = false;
      this.builtIn = language.peek();
      const rows = this.book.sorted().map((a) => this.rowOf(a, now));
      for (const id of this.rows.keys()) if (!this.book.alerts.has(id)) this.rows.delete(id);
      if (rows.length === 0) rows.push(el("p", "muted", t("alerts.none")));
      // The list is put together again only if its rows differ; rows of alerts that did not change are kept as they are.
      if (rows.length !== this.list.children.length || rows.some((row, i) => this.list.children[i] !== row)) this.list.replaceChildren(...rows);
    }
    for (const stamp of this.list.querySelectorAll<HTMLElement>("[data-stamp]")) {
      const a = this.book.alerts.get(stamp.dataset.stamp!);
      if (a) setText(stamp, this.stamp(a, now));
    }
  }

  private stamp(a: AlertMsg, now: number): string {
    if (a.state === "firing") return t("alerts.firingFor", { time: since(a.firingSince, now) });
    if (a.state === "pending") return t("alerts.pendingFor", { time: since(a.pendingSince, now) });
    return t("alerts.resolvedAgo", { time: since(a.resolvedAt, now) });
  }

  /** The alert's row as built before, if the alert (each change is a new object) and what else it shows are the same. */
  private rowOf(a: AlertMsg, now: number): HTMLElement {
    const key = `${a.shelvedUntil !== null && a.shelvedUntil > now}:${this.actions.canAct()}:${language.peek()}`;
    const kept = this.rows.get(a.id);
    if (kept?.alert === a && kept.key === key) return kept.row;
    const row = this.row(a, now);
    this.rows.set(a.id, { alert: a, row, key });
    return row;
  }

  private row(a: AlertMsg, now: number): HTMLElement {
    const row = el("article", "alert-row");
    row.dataset.alert = a.id;
    row.dataset.state = a.state;
    row.dataset.severity = a.severity;
    const head = el("div", "alert-head");
    head.append(el("span", "sev", `${SEVERITY_ICON[a.severity]} ${t(`severity.${a.severity}` as MessageKey)}`), el("strong", undefined, a.name), el("span", "state", t(`alerts.state.${a.state}` as MessageKey)));
    const stamp = el("span", "muted", this.stamp(a, now));
    stamp.dataset.stamp = a.id;
    head.append(stamp);
    row.append(head, el("div", "alert-desc", a.description));
    const foot = el("div", "alert-foot");
    if (a.incident) {
      const record = el("a", "alert-record", t("alerts.record"));
      record.href = `#/incident/${a.incident}`;
      record.dataset.incidentLink = a.incident;
      foot.append(record);
    }
    if (a.ack) foot.append(el("span", "acked", `${t("alarm.ackedBy", { name: a.ack.by })}${a.ack.note ? `: ${a.ack.note}` : ""}`));
    const shelved = a.shelvedUntil !== null && a.shelvedUntil > now;
    if (shelved) foot.append(el("span", "muted", t("alerts.shelvedFor", { time: since(now, a.shelvedUntil!) })));
    // A resolved alert has nothing left to acknowledge or shelve.
    if (this.actions.canAct() && a.state !== "resolved") {
      if (a.state === "firing" && !a.ack) {
        const ack = el("button", "btn", t("alarm.ack"));
        ack.type = "button";
        ack.addEventListener("click", () => this.actions.ack(a.id, ""));
        foot.append(ack);
      }
      if (shelved) {
        const unshelve = el("button", "btn btn-quiet", t("alarm.unshelve"));
        unshelve.type = "button";
        unshelve.addEventListener("click", () => this.actions.shelve(a.id, null));
        foot.append(unshelve);
      } else {
        const shelve = el("select", "btn btn-quiet");
        shelve.setAttribute("aria-label", t("alarm.shelve"));
        shelve.append(new Option(`${t("alarm.shelve")}…`, ""), ...SHELVE_FOR.map((ms) => new Option(duration(ms), String(ms))));
        shelve.addEventListener("change", () => shelve.value && this.actions.shelve(a.id, Number(shelve.value)));
        foot.append(shelve);
      }
    }
    row.append(foot);
    return row;
  }
}
