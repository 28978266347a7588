import uPlot, { type AlignedData, type Options } from "uplot";
import "uplot/dist/uPlot.min.css";
import type { ThresholdMsg } from "../../gateway/protocol/alerts.js";
import type { Series } from "./store.js";
import { thinForWidth } from "./thinForWidth.js";
import { formatValue } from "./format.js";

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

function toSeconds(s: Series): [number[], number[]] {
  return [s.ts.map((t) => t / 1000), s.values];
}

/** A small line chart of one channel for its card. */
export class Sparkline {
  private readonly plot: uPlot;
  private drawn = "";
  thresholds: ThresholdMsg[] = [];

  constructor(parent: HTMLElement, color: string) {
    const opts: Options = {
      width: parent.clientWidth || 240,
      height: 56,
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: true } },
      axes: [{ show: false }, { show: false }],
      series: [{}, { stroke: color, width: 1.5, fill: `${color}22` }],
      hooks: { draw: [(u) => drawThresholds(u, this.thresholds)] },
    };
    this.plot = new uPlot(opts, [[], []], parent);
  }

  /**
   * Draws again only when time moved a pixel on, or the thresholds or the width changed, or the first
   * data came: new readings within a pixel's time wait for it, since the card's text shows them already.
   */
  update(series: Series, windowMs: number, now: number): void {
    const width = Math.max(1, this.plot.width);
    const key = `${series.ts.length > 0}:${Math.floor(now / (windowMs / width))}:${width}:${JSON.stringify(this.thresholds)}`;
    if (key === this.drawn) return;
    this.drawn = key;
    const from = now - windowMs;
    this.plot.batch(() => {
      this.plot.setData(toSeconds(thinForWidth(series, from, Math.max(now, series.ts.at(-1) ?? now), width)) as AlignedData, false);
      this.plot.setScale("x", { min: from / 1000, max: now / 1000 });
    });
  }

  resize(width: number): void {
    this.plot.setSize({ width, height: 56 });
    this.drawn = "";
  }

  destroy(): void {
    this.plot.destroy();
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
