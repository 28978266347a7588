import type { ChannelMsg, SourceMsg } from "../../gateway/protocol/telemetry.js";
import type { AlertBook } from "./alerts.js";
import { Sparkline, TrendChart } from "./charts.js";
import { colorFor, el, formatAge, setText } from "./format.js";
import type { Store } from "./store.js";
import { trendGroups } from "./trendGroups.js";
import { h, render } from "preact";
import type { AlarmActions } from "./app/AlarmBanner.js";
import { CardAlarms } from "./app/CardAlarms.js";
import { language, t } from "./app/i18n.js";
import { temperatureUnit } from "./app/state.js";
import { formatShown, shownUnit, shownValue } from "./units.js";

const SPARK_WINDOW_MS = 5 * 60 * 1000;
/** A card's number changes at most this often (faster, digits cannot be read); its state (alarm, stale, a first value) shows at once. */
const VALUE_EVERY_MS = 250;

interface Card {
  root: HTMLElement;
  value: HTMLElement;
  age: HTMLElement;
  stale: HTMLElement;
  spark: Sparkline;
  /** What the card shows, in short: the card is left alone while it is the same. */
  shown: string;
  /** The part of it that is shown at once. */
  state: string;
}

export class DashboardView {
  private cards = new Map<string, Card>();
  private alarms = new Map<string, HTMLElement>();
  private generation = -1;
  private trends = new Map<HTMLElement, TrendChart>();
  private windowMs = 15 * 60 * 1000;
  private lastChartDraw = 0;
  private lastValues = 0;
  private sourcesShown = "";
  /** Cards and trend charts on screen: only those are drawn (a plant has dozens off screen). */
  private readonly onScreen = new Set<Element>();
  private readonly screen = new IntersectionObserver((entries) => {
    for (const e of entries) {
      if (e.isIntersecting) this.onScreen.add(e.target);
      else this.onScreen.delete(e.target);
    }
  });
  /** The temperature unit the cards and charts were built for: built again when the user picks another. */
  private builtFor = temperatureUnit.peek();

  constructor(
    private readonly store: Store,
    private readonly alerts: AlertBook,
    private readonly actions: AlarmActions,
    private readonly root: { cards: HTMLElement; chart: HTMLElement; sources: HTMLElement; empty: HTMLElement; gateway: HTMLElement },
  ) {
    window.addEventListener("resize", () => this.resize());
  }

  setWindow(seconds: number): void {
    this.windowMs = seconds * 1000;
    this.lastChartDraw = 0;
  }

  /** Called on the page's paint tick: the cards' states every time, their values, the source pills and the charts on screen a few times a second. */
  render(frameTime: number): void {
    if (this.generation !== this.store.generation || this.builtFor !== temperatureUnit.peek()) this.rebuild();
    const now = this.store.serverNow();
    const valuesDue = frameTime - this.lastValues >= VALUE_EVERY_MS;
    if (valuesDue) this.lastValues = frameTime;
    for (const [id, card] of this.cards) this.updateCard(card, this.store.channels.get(id)!, now, valuesDue);
    if (!this.store.dirty && frameTime - this.lastChartDraw <= 1000) return;
    this.renderSources();
    if (frameTime - this.lastChartDraw <= 250) return;
    for (const [id, card] of this.cards) {
      if (!this.onScreen.has(card.root)) continue;
      card.spark.thresholds = this.alerts.thresholdsFor(id);
      card.spark.update(this.store.series.get(id)!, SPARK_WINDOW_MS, now);
    }
    for (const [host, trend] of this.trends) {
      if (!this.onScreen.has(host)) continue;
      trend.thresholds = this.alerts.thresholds;
      trend.update(this.store.series, this.windowMs, now);
    }
    this.lastChartDraw = frameTime;
    this.store.dirty = false;
  }

  private rebuild(): void {
    this.generation = this.store.generation;
    this.builtFor = temperatureUnit.peek();
    for (const card of this.cards.values()) card.spark.destroy();
    this.cards.clear();
    this.screen.disconnect();
    this.onScreen.clear();
    this.root.cards.replaceChildren();
    const all = [...this.store.channels.values()];
    // Derived camera and microphone channels have their own panels; cards are for machine sensors.
    // Charts show everything but the camera regions' min/mean and the microphones' peaks.
    const channels = all.filter((c) => !c.id.startsWith("thermal.") && !c.id.startsWith("mic."));
    const charted = all.filter((c) => (!c.id.startsWith("thermal.") || c.id.endsWith(".max")) && !c.id.endsWith(".peak_db"));
    this.root.empty.hidden = all.length > 0;
    this.root.gateway.textContent = this.store.gateway.name;
    this.root.gateway.title = `wachter ${this.store.gateway.version}`;
    document.title = `${this.store.gateway.name} · wachter`;
    // Cards by machine part (the configured group, else the source), in the order they first appear.
    const groups = new Map<string, HTMLElement>();
    const gridFor = (c: ChannelMsg) => {
      const label = c.group ?? c.source;
      let grid = groups.get(label);
      if (!grid) {
        const section = el("section", "card-group");
        section.setAttribute("aria-label", label);
        grid = el("div", "cards");
        section.append(el("h2", "group-name", label), grid);
        this.root.cards.append(section);
        groups.set(label, grid);
      }
      return grid;
    };
    channels.forEach((c, i) => {
      const color = colorFor(i);
      const root = el("article", "card");
      root.dataset.channel = c.id;
      root.style.setProperty("--accent", color);
      const head = el("header", "card-head");
      const name = el("a", "name", c.name);
      name.href = `#/channel/${encodeURIComponent(c.id)}`;
      name.title = `${c.name} (${c.id})`;
      head.append(name, el("span", "source", c.source));
      const reading = el("div", "reading");
      const value = el("span", "value", "–");
      reading.append(value, el("span", "unit", shownUnit(c.unit, this.builtFor)));
      const meta = el("div", "meta");
      const age = el("span", "age", t("age.none"));
      const stale = el("span", "badge", t("card.stale"));
      meta.append(age, stale);
      const sparkHost = el("div", "spark");
      root.append(head, this.alarmOf(c.id), reading, meta, sparkHost);
      gridFor(c).append(root);
      this.cards.set(c.id, { root, value, age, stale, spark: new Sparkline(sparkHost, color), shown: "", state: "" });
      this.screen.observe(root);
    });
    for (const [id, host] of this.alarms) {
      if (this.cards.has(id)) continue;
      render(null, host);
      this.alarms.delete(id);
    }
    this.root.chart.replaceChildren();
    this.trends = new Map();
    for (const g of trendGroups(charted)) {
      const figure = el("figure", "trend");
      const caption = el("figcaption", "trend-title", `${g.label} · ${shownUnit(g.unit, this.builtFor)}`);
      if (g.part) caption.append(el("span", "trend-part", ` (${g.part})`));
      const host = el("div", "chart");
      host.dataset.unit = g.unit;
      host.dataset.group = g.label;
      figure.append(caption, host);
      this.root.chart.append(figure);
      const trend = new TrendChart(host);
      trend.rebuild(
        g.channels.map((c, i) => ({ id: c.id, label: c.name, color: colorFor(i), unit: shownUnit(g.unit, this.builtFor), decimals: c.decimals })),
        (v) => shownValue(v, g.unit, this.builtFor),
      );
      this.trends.set(host, trend);
      this.screen.observe(host);
    }
    this.resize();
  }

  /**
   * A card's alarms and their controls, kept from one build of the cards to the next (a reconnect
   * builds them anew), so a note being typed there is not lost.
   */
  private alarmOf(channel: string): HTMLElement {
    let host = this.alarms.get(channel);
    if (!host) {
      host = el("div", "card-alarm");
      render(h(CardAlarms, { channel, book: this.alerts, actions: this.actions }), host);
      this.alarms.set(channel, host);
    }
    return host;
  }

  private updateCard(card: Card, c: ChannelMsg, now: number, valuesDue: boolean): void {
    const stale = c.stale || !c.last;
    const severity = this.alerts.channelSeverity(c.id) ?? "none";
    const state = `${stale}:${severity}:${c.decimals}:${language.peek()}`;
    if (!valuesDue && card.state === state) return;
    const shown = `${state}:${c.last?.[0]}:${c.last?.[1]}:${c.last ? Math.floor((now - c.last[0]) / 1000) : ""}`;
    if (card.shown === shown) return;
    card.shown = shown;
    card.state = state;
    if (card.root.dataset.stale !== String(stale)) card.root.dataset.stale = String(stale);
    if (card.root.dataset.alert !== severity) card.root.dataset.alert = severity;
    setText(card.stale, t("card.stale"));
    setText(card.age, c.last ? formatAge(now - c.last[0]) : t("age.none"));
    if (c.last) setText(card.value, formatShown(c.last[1], c.unit, this.builtFor, c.decimals));
  }

  /** A pill per source; built again only when a source comes, goes or changes state (counts change all the time). */
  private renderSources(): void {
    const sources = [...this.store.sources.values()];
    const title = (s: SourceMsg) => `${s.state}${s.detail ? `: ${s.detail}` : ""}\n${s.readings} readings, ${s.rejects} rejected`;
    const shape = sources.map((s) => `${s.id}\u0000${s.state}`).join("\u0000");
    if (shape === this.sourcesShown) {
      const pills = this.root.sources.children;
      sources.forEach((s, i) => ((pills[i] as HTMLElement).title = title(s)));
      return;
    }
    this.sourcesShown = shape;
    const pills = sources.map((s) => {
      const pill = el("span", `pill pill-${s.state === "up" ? "ok" : s.state === "down" ? "bad" : "wait"}`, s.id);
      pill.title = title(s);
      pill.dataset.source = s.id;
      pill.dataset.state = s.state;
      return pill;
    });
    this.root.sources.replaceChildren(...pills);
  }

  private resize(): void {
    for (const trend of this.trends.values()) trend.resize();
  }
}
