import { describe, expect, it } from "vitest";
import type { ChannelMsg } from "../../gateway/protocol/telemetry.js";
import { PALETTE_SIZE } from "../../dashboard/src/format.js";
import { trendGroups } from "../../dashboard/src/trendGroups.js";

const channel = (id: string, source: string, unit = "°C", group?: string): ChannelMsg => ({ id, name: id, unit, source, ...(group ? { group } : {}) }) as ChannelMsg;

describe("trend small multiples", () => {
  it("gives each machine part and unit its own chart, in the order they first appear", () => {
    const groups = trendGroups([channel("a", "sim", "°C", "Spindle"), channel("mic", "sim", "dB", "Spindle"), channel("b", "sim", "°C", "Machine"), channel("c", "sim", "°C", "Spindle"), channel("d", "plant")]);
    expect(groups.map((g) => [g.label, g.unit, g.channels.map((c) => c.id)])).toEqual([
      ["Spindle", "°C", ["a", "c"]],
      ["Spindle", "dB", ["mic"]],
      ["Machine", "°C", ["b"]],
      ["plant", "°C", ["d"]],
    ]);
    expect(groups.every((g) => g.part === "")).toBe(true);
  });

  it("splits a large part evenly so that no chart has more lines than there are colours", () => {
    const many = Array.from({ length: 45 }, (_, i) => channel(`t${i}`, "plant"));
    const groups = trendGroups(many);
    expect(groups.map((g) => g.channels.length)).toEqual([9, 9, 9, 9, 9]);
    expect(groups.map((g) => g.part)).toEqual(["1/5", "2/5", "3/5", "4/5", "5/5"]);
    expect(groups.flatMap((g) => g.channels.map((c) => c.id))).toEqual(many.map((c) => c.id));
    for (const n of [1, PALETTE_SIZE, PALETTE_SIZE + 1, 31]) {
      const split = trendGroups(many.slice(0, n));
      expect(split.every((g) => g.channels.length <= PALETTE_SIZE && g.channels.length > 0)).toBe(true);
      expect(split.reduce((sum, g) => sum + g.channels.length, 0)).toBe(n);
    }
  });
});
