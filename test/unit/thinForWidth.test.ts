import { describe, expect, it } from "vitest";
import { thinForWidth } from "../../dashboard/src/thinForWidth.js";

const series = (n: number, value: (i: number) => number) => ({ ts: Array.from({ length: n }, (_, i) => i * 100), values: Array.from({ length: n }, (_, i) => value(i)) });

describe("thinning a series for a chart's width", () => {
  it("keeps few points as they are, those of the window only", () => {
    const s = series(10, (i) => i);
    expect(thinForWidth(s, 300, 700, 100)).toEqual({ ts: [300, 400, 500, 600, 700], values: [3, 4, 5, 6, 7] });
  });

  it("keeps each column's lowest and highest in time order, a lone spike and the newest point", () => {
    // An hour at 10 Hz on 100 columns: 36 s, 360 points per column.
    const s = series(36_000, (i) => (i === 20_000 ? 999 : i % 7));
    const thin = thinForWidth(s, 0, 3_599_900, 100);
    expect(thin.ts.length).toBeLessThanOrEqual(201);
    expect(thin.values).toContain(999);
    expect(thin.ts).toEqual([...thin.ts].sort((a, b) => a - b));
    expect(Math.min(...thin.values)).toBe(0);
    expect(thin.ts.at(-1)).toBe(3_599_900);
    // Zoomed into its first minute: only that minute's points.
    const zoomed = thinForWidth(s, 0, 59_999, 100);
    expect(zoomed.ts.at(-1)).toBe(59_900);
    expect(zoomed.ts.length).toBeLessThanOrEqual(201);
  });
});
