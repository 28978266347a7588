import type { ChannelMsg } from "../../gateway/protocol/telemetry.js";
import { PALETTE_SIZE } from "./format.js";

export interface TrendGroup {
  /** The machine part (configured group, else the source) the cards use too. */
  label: string;
  unit: string;
  /** "2/5" when a large part is split over several charts, else "". */
  part: string;
  channels: ChannelMsg[];
}

/**
 * Small multiples for the trends: one chart per machine part and unit (so 10 °C chillers never
 * share an axis with 280 °C barrels, nor °C with dB), large parts split evenly into charts of at
 * most `maxSeries` lines, so that within one chart no two lines share a colour.
 */
export function trendGroups(channels: ChannelMsg[], maxSeries = PALETTE_SIZE): TrendGroup[] {
  const byKey = new Map<string, ChannelMsg[]>();
  for (const c of channels) {
    const key = JSON.stringify([c.group ?? c.source, c.unit]);
    const list = byKey.get(key);
    if (list) list.push(c);
    else byKey.set(key, [c]);
  }
  return [...byKey.entries()].flatMap(([key, list]) => {
    const [label, unit] = JSON.parse(key) as [string, string];
    const charts = Math.ceil(list.length / maxSeries);
    const size = Math.ceil(list.length / charts);
    return Array.from({ length: charts }, (_, i) => ({ label, unit, part: charts > 1 ? `${i + 1}/${charts}` : "", channels: list.slice(i * size, (i + 1) * size) }));
  });
}
