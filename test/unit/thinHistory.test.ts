import { describe, expect, it } from "vitest";
import { thinMinMax } from "../../gateway/webrtc/thinHistory.js";

function series(n: number, f: (i: number) => number) {
  const ts = Array.from({ length: n }, (_, i) => 1000 + i * 20);
  return { ts, values: ts.map((_, i) => f(i)) };
}

describe("thinMinMax", () => {
  it("leaves a series that fits untouched", () => {
    const s = series(600, (i) => i);
    expect(thinMinMax(s.ts, s.values, 600)).toEqual(s);
  });

  it("keeps at most maxPoints real samples in time order, with every stretch's extremes and the newest", () => {
    const s = series(3000, (i) => Math.sin(i / 40) * 10 + (i === 1234 ? 50 : 0) - (i === 2711 ? 40 : 0));
    const t = thinMinMax(s.ts, s.values, 600);
    expect(t.ts.length).toBeLessThanOrEqual(600);
    expect(t.ts.length).toBeGreaterThan(500);
    for (let k = 1; k < t.ts.length; k++) expect(t.ts[k]).toBeGreaterThan(t.ts[k - 1]);
    for (let k = 0; k < t.ts.length; k++) expect(t.values[k]).toBe(s.values[(t.ts[k] - 1000) / 20]);
    expect(t.ts.at(-1)).toBe(s.ts.at(-1));
    expect(Math.max(...t.values)).toBe(Math.max(...s.values));
    expect(Math.min(...t.values)).toBe(Math.min(...s.values));
    // Each tenth of the series keeps its own extremes, so the envelope a chart draws is unchanged.
    for (let part = 0; part < 10; part++) {
      const inPart = (ts: number) => ts >= s.ts[part * 300] && ts <= s.ts[part * 300 + 299];
      const full = s.values.filter((_, i) => inPart(s.ts[i]));
      const kept = t.values.filter((_, i) => inPart(t.ts[i]));
      expect([Math.min(...kept), Math.max(...kept)]).toEqual([Math.min(...full), Math.max(...full)]);
    }
  });

  it("keeps one point for a flat stretch", () => {
    const s = series(1000, () => 21.5);
    const t = thinMinMax(s.ts, s.values, 100);
    expect(t.ts).toHaveLength(50);
    expect(t.ts.at(-1)).toBe(s.ts.at(-1));
    expect(new Set(t.values)).toEqual(new Set([21.5]));
  });
});
