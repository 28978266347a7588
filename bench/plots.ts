/** Minimal SVG line charts for docs/benchmarks.md: no browser, no dependencies. */
export interface Series {
  name: string;
  color: string;
  points: Array<[number, number]>;
}

const W = 640;
const H = 320;
const M = { left: 56, right: 16, top: 28, bottom: 44 };

function ticks(min: number, max: number, count = 5): number[] {
  const step = 10 ** Math.floor(Math.log10((max - min) / count || 1));
  const nice = [1, 2, 5, 10].map((k) => k * step).find((s) => (max - min) / s <= count) ?? step * 10;
  const out: number[] = [];
  for (let v = Math.ceil(min / nice) * nice; v <= max + 1e-9; v += nice) out.push(Number(v.toPrecision(6)));
  return out;
}

export function lineChart(opts: { title: string; xLabel: string; yLabel: string; series: Series[]; logX?: boolean }): string {
  const all = opts.series.flatMap((s) => s.points);
  const fx = (v: number) => (opts.logX ? Math.log10(Math.max(v, 0.01)) : v);
  const xs = all.map(([x]) => fx(x));
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [0, Math.max(...all.map(([, y]) => y)) * 1.05 || 1];
  const px = (x: number) => M.left + ((fx(x) - x0) / (x1 - x0 || 1)) * (W - M.left - M.right);
  const py = (y: number) => H - M.bottom - ((y - y0) / (y1 - y0)) * (H - M.top - M.bottom);
  const xTicks = opts.logX ? [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50].filter((v) => fx(v) >= x0 && fx(v) <= x1) : ticks(x0, x1);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${opts.title}</text>`,
    ...ticks(y0, y1).map((t) => `<line x1="${M.left}" x2="${W - M.right}" y1="${py(t)}" y2="${py(t)}" stroke="#e5e5e5"/><text x="${M.left - 6}" y="${py(t) + 4}" text-anchor="end">${t}</text>`),
    ...xTicks.map((t) => `<line x1="${px(t)}" x2="${px(t)}" y1="${M.top}" y2="${H - M.bottom}" stroke="#f0f0f0"/><text x="${px(t)}" y="${H - M.bottom + 14}" text-anchor="middle">${t}</text>`),
    `<text x="${W / 2}" y="${H - 8}" text-anchor="middle">${opts.xLabel}</text>`,
    `<text x="14" y="${H / 2}" text-anchor="middle" transform="rotate(-90 14 ${H / 2})">${opts.yLabel}</text>`,
    ...opts.series.map((s) => `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${s.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(" ")}"/>`),
    ...opts.series.map((s, i) => `<rect x="${M.left + 10}" y="${M.top + 6 + i * 16}" width="12" height="3" fill="${s.color}"/><text x="${M.left + 28}" y="${M.top + 11 + i * 16}">${s.name}</text>`),
    "</svg>",
  ];
  return `${parts.join("\n")}\n`;
}
