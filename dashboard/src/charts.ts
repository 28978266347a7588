import uPlot, { type AlignedData, type Options } from "uplot";
import "uplot/dist/uPlot.min.css";
import type { ThresholdMsg } from "../../gateway/protocol/alerts.js";
import type { Series } from "./store.js";
import { thinForWidth } from "./thinForWidth.js";
import { formatValue, setAttributes, svg } from "./format.js";

export const SEVERITY_COLOR = { critical: "#ff5d73", warning: "#ffb703", info: "#4cc9f0" } as const;

/** Dashed horizontal lines at alert thresholds that fall inside the plotted range, labelled with their rule if asked. */
export function drawThresholds(u: uPlot, thresholds: ThresholdMsg[], labelled = false, format: (v: number) => string = String): void {
  const { ctx, bbox } = u;
  ctx.save();
  ctx.setLineDash([6, 4]);
  ctx.lineWidth = Math.max(1, devicePixelRatio);
  for (const t of thresholds) {
    const y = u.valToPos(t.value, "y", true);
    if (y < bbox.top || y > bbox.top + bbox.height) continue;
    ctx.strokeStyle = SEVERITY_COLOR[t.severity];
    ctx.beginPath();
    ctx.moveTo(bbox.left, y);
    ctx.lineTo(bbox.left + bbox.width, y);
    ctx.stroke();
    if (labelled) {
      ctx.fillStyle = SEVERITY_COLOR[t.severity];
      ctx.font = `${12 * devicePixelRatio}px system-ui, sans-serif`;
      // uPlot leaves the alignment of its last axis labels behind.
      ctx.textAlign = "left";
      ctx.textBaseline = "bottom";
      ctx.fillText(`${t.rule} ${t.kind === "above" ? ">" : "<"} ${format(t.value)}`, bbox.left + 6 * devicePixelRatio, y - 4 * devicePixelRatio);
    }
  }
  ctx.restore();
}

/** The index of a column's newest value (joined series have gaps). */
function lastValueIndex(column: ArrayLike<number | null>): number | null {
  for (let i = column.length - 1; i >= 0; i--) if (column[i] != null) return i;
  return null;
}

export const AXIS = { stroke: "#8b98a9", grid: { stroke: "#243041", width: 1 }, ticks: { stroke: "#243041" } };

const SPARK_HEIGHT = 56;
/** Each sparkline follows its card's width (a card hidden, in wall mode or with large values has another). */
const sparkHosts = new WeakMap<Element, Sparkline>();
const sparkSizes = new ResizeObserver((entries) => {
  for (const e of entries) sparkHosts.get(e.target)?.resize(Math.floor(e.contentRect.width));
});

/** The y scale of a sparkline: the data's range with a little room, never zero high. */
function sparkRange(values: number[]): [number, number] {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (hi - lo < 1e-9) [lo, hi] = [lo - 1, hi + 1];
  const pad = (hi - lo) * 0.1;
  return [lo - pad, hi + pad];
}

/**
 * A small line chart of one channel for its card, as an SVG path. A canvas would do, but the browser
 * hands every canvas on screen to its compositor again on every frame, drawn or not: with a dozen
 * cards in view that was a tenth of a tablet's main thread.
 */
export class Sparkline {
  private readonly svg = svg("svg");
  private readonly area = svg("path");
  private readonly line = svg("path");
  private readonly limits = svg("g");
  private width: number;
  private drawn = "";
  thresholds: ThresholdMsg[] = [];

  constructor(private readonly parent: HTMLElement, color: string) {
    this.width = parent.clientWidth || 240;
    setAttributes(this.svg, { "aria-hidden": "true" });
    setAttributes(this.area, { fill: `${color}22` });
    setAttributes(this.line, { fill: "none", stroke: color, "stroke-width": 1.5, "stroke-linejoin": "round", "stroke-linecap": "round" });
    setAttributes(this.limits, { "stroke-dasharray": "6 4" });
    this.svg.append(this.area, this.line, this.limits);
    this.setSize();
    parent.append(this.svg);
    sparkHosts.set(parent, this);
    sparkSizes.observe(parent);
  }

  /**
   * Draws again only when time moved a pixel on, or the thresholds or the width changed, or the first
   * data came: new readings within a pixel's time wait for it, since the card's text shows them already.
   */
  update(series: Series, windowMs: number, now: number): void {
    const width = Math.max(1, this.width);
    const key = `${series.ts.length > 0}:${Math.floor(now / (windowMs / width))}:${width}:${JSON.stringify(this.thresholds)}`;
    if (key === this.drawn) return;
    this.drawn = key;
    const from = now - windowMs;
    const thin = thinForWidth(series, from, Math.max(now, series.ts.at(-1) ?? now), width);
    const shown = thin.ts.map((t, i) => [t, thin.values[i]] as const).filter(([t, v]) => t >= from && Number.isFinite(v));
    if (shown.length === 0) {
      for (const path of [this.line, this.area]) path.removeAttribute("d");
      this.limits.replaceChildren();
      return;
    }
    const [lo, hi] = sparkRange(shown.map(([, v]) => v));
    const x = (t: number) => (((t - from) / windowMs) * width).toFixed(1);
    const y = (v: number) => (SPARK_HEIGHT - ((v - lo) / (hi - lo)) * SPARK_HEIGHT).toFixed(1);
    // A single reading is a dot: a line of no length with round ends.
    const line = shown.map(([t, v], i) => `${i ? "L" : "M"}${x(t)},${y(v)}`).join("") + (shown.length === 1 ? "h0.01" : "");
    setAttributes(this.line, { d: line });
    setAttributes(this.area, { d: `${line}L${x(shown.at(-1)![0])},${SPARK_HEIGHT}L${x(shown[0][0])},${SPARK_HEIGHT}Z` });
    this.limits.replaceChildren(
      ...this.thresholds
        .filter((t) => t.value >= lo && t.value <= hi)
        .map((t) => {
          // Coloured by the theme's stylesheet: the light theme darkens the alarm colours.
          const limit = svg("line", `limit limit-${t.severity}`);
          setAttributes(limit, { x1: 0, x2: width, y1: y(t.value), y2: y(t.value) });
          return limit;
        }),
    );
  }

  /** A width of 0 (the card is not laid out, the overview hidden) keeps the last one. */
  resize(width: number): void {
    if (width <= 0 || width === this.width) return;
    this.width = width;
    this.setSize();
    this.drawn = "";
  }

  private setSize(): void {
    setAttributes(this.svg, { width: this.width, height: SPARK_HEIGHT, viewBox: `0 0 ${this.width} ${SPARK_HEIGHT}` });
  }

  destroy(): void {
    sparkSizes.unobserve(this.parent);
    this.svg.remove();
  }
}

const TREND_HEIGHT = 240;

/**
 * Channels of one machine part and unit in one chart, aligned on a shared time axis. It follows the live data
 * until the operator drags across it to zoom; a double click (uPlot's reset) follows again. The
 * legend shows the newest values unless the pointer is over the chart.
 */
export class TrendChart {
  private plot: uPlot | undefined;
  private drawn = "";
  private ids: string[] = [];
  private zoomed = false;
  private toShown: (v: number) => number = (v) => v;
  thresholds: ThresholdMsg[] = [];

  constructor(private readonly parent: HTMLElement) {
    parent.addEventListener("dblclick", () => this.follow());
  }

  private follow(): void {
    this.zoomed = false;
    this.drawn = "";
    this.parent.dataset.zoomed = "false";
  }

  /** `unit` is the unit shown, `toShown` turns the channels' values into it (°C into °F). */
  rebuild(channels: Array<{ id: string; label: string; color: string; unit: string; decimals?: number }>, toShown: (v: number) => number = (v) => v): void {
    this.plot?.destroy();
    this.toShown = toShown;
    this.ids = channels.map((c) => c.id);
    const unit = channels[0]?.unit ?? "";
    const opts: Options = {
      width: this.parent.clientWidth || 800,
      height: TREND_HEIGHT,
      scales: { x: { time: true } },
      axes: [
        { ...AXIS },
        { ...AXIS, label: unit, size: 56, values: (_u, ticks) => ticks.map((t) => `${t}`) },
      ],
      series: [{}, ...channels.map((c) => ({ label: c.label, stroke: c.color, width: 1.75, spanGaps: true, value: (_u: uPlot, v: number | null) => (v == null ? "–" : `${formatValue(v, c.decimals)} ${c.unit}`) }))],
      hooks: {
        draw: [(u) => drawThresholds(u, this.thresholds.filter((t) => this.ids.includes(t.channel)).map((t) => ({ ...t, value: this.toShown(t.value) })))],
        setSelect: [
          (u) => {
            if (u.select.width < 2) return;
            this.zoomed = true;
            this.drawn = "";
            this.parent.dataset.zoomed = "true";
          },
        ],
      },
    };
    this.plot = new uPlot(opts, [[], ...channels.map(() => [])] as AlignedData, this.parent);
    this.follow();
  }

  /**
   * Thinned to the chart's width (of the window, or of the zoomed range), and drawn again only when
   * the data, the thresholds, the width or the range changed, or time moved a pixel on.
   */
  update(series: Map<string, Series>, windowMs: number, now: number): void {
    if (!this.plot) return;
    const plot = this.plot;
    const width = Math.max(1, plot.width);
    const empty: Series = { ts: [], values: [] };
    const all = this.ids.map((id) => series.get(id) ?? empty);
    const [from, to] = this.zoomed ? [plot.scales.x.min! * 1000, plot.scales.x.max! * 1000] : [now - windowMs, Math.max(now, ...all.map((s) => s.ts.at(-1) ?? now))];
    const moved = this.zoomed ? `${from}-${to}` : Math.floor(now / (windowMs / width));
    const key = `${all.map((s) => `${s.ts.length}:${s.ts.at(-1)}`).join()}|${moved}|${width}|${JSON.stringify(this.thresholds)}`;
    if (key === this.drawn) return;
    this.drawn = key;
    const tables = all.map((s) => {
      const thin = thinForWidth(s, from, to, width);
      return [thin.ts.map((t) => t / 1000), thin.values.map(this.toShown)] as AlignedData;
    });
    const data = tables.length ? uPlot.join(tables) : ([[]] as AlignedData);
    plot.batch(() => {
      plot.setData(data, false);
      if (!this.zoomed) plot.setScale("x", { min: from / 1000, max: now / 1000 });
      if (plot.cursor.left === undefined || plot.cursor.left < 0) plot.setLegend({ idxs: data.map((column) => lastValueIndex(column as ArrayLike<number | null>)) });
    });
  }

  resize(): void {
    this.plot?.setSize({ width: this.parent.clientWidth, height: TREND_HEIGHT });
    this.drawn = "";
  }
}
