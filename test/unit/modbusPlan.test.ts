import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FUNCTIONS, isBitFunction } from "../../sensors/modbus/address.js";
import { planRequests, type Limits, type PlannedPoint } from "../../sensors/modbus/plan.js";

const LIMITS: Limits = { maxGap: 8, maxRegisters: 125, maxBits: 2000 };
const holding = (address: number, count = 1, extra: Partial<PlannedPoint> = {}): PlannedPoint => ({ unitId: 1, function: "holding", address, count, interval: 1000, ...extra });
const spans = (points: PlannedPoint[], limits = LIMITS) => planRequests(points, limits).map((r) => [r.unitId, r.function, r.address, r.count, r.points.length]);

describe("request grouping", () => {
  it("reads adjacent registers and small holes in one request", () => {
    expect(spans([holding(10), holding(0), holding(1), holding(2, 2), holding(20)])).toEqual([
      [1, "holding", 0, 11, 4],
      [1, "holding", 20, 1, 1],
    ]);
  });

  it("keeps units, functions and poll intervals apart", () => {
    expect(spans([holding(0), holding(1, 1, { unitId: 2 }), holding(2, 1, { function: "input" }), holding(3, 1, { interval: 5000 })])).toHaveLength(4);
  });

  it("covers overlapping points (one register read as two types) once", () => {
    expect(spans([holding(0, 2), holding(0, 1), holding(1, 1)])).toEqual([[1, "holding", 0, 2, 3]]);
  });

  it("splits at the size limit: 125 registers, 2000 bits", () => {
    const registers = Array.from({ length: 130 }, (_, i) => holding(i));
    expect(spans(registers).map((s) => s[3])).toEqual([125, 5]);
    const bits = Array.from({ length: 2001 }, (_, i) => holding(i, 1, { function: "coil" }));
    expect(spans(bits).map((s) => s[3])).toEqual([2000, 1]);
  });

  it("with maxGap 0 reads only touching points together", () => {
    expect(spans([holding(0), holding(1), holding(3)], { ...LIMITS, maxGap: 0 }).map((s) => s[2])).toEqual([0, 3]);
  });

  const point = fc.record({
    unitId: fc.integer({ min: 1, max: 3 }),
    function: fc.constantFrom(...FUNCTIONS),
    address: fc.integer({ min: 0, max: 400 }),
    count: fc.constantFrom(1, 2, 4),
    interval: fc.constantFrom(1000, 5000),
  }).map((p) => (isBitFunction(p.function) ? { ...p, count: 1 } : p));
  const limits = fc.record({ maxGap: fc.integer({ min: 0, max: 20 }), maxRegisters: fc.integer({ min: 4, max: 125 }), maxBits: fc.integer({ min: 1, max: 2000 }) });

  it("puts every point in exactly one request that covers it and fits the limits, and merges whenever the rule allows", () => {
    fc.assert(
      fc.property(fc.array(point, { minLength: 1, maxLength: 60 }), limits, (points, lim) => {
        const requests = planRequests(points, lim);
        const seen = requests.flatMap((r) => r.points);
        expect(seen.length).toBe(points.length);
        expect(new Set(seen).size).toBe(points.length);
        for (const r of requests) {
          expect(r.count).toBeLessThanOrEqual(isBitFunction(r.function) ? lim.maxBits : lim.maxRegisters);
          for (const p of r.points) {
            expect([p.unitId, p.function, p.interval]).toEqual([r.unitId, r.function, r.interval]);
            expect(p.address).toBeGreaterThanOrEqual(r.address);
            expect(p.address + p.count).toBeLessThanOrEqual(r.address + r.count);
          }
        }
        // Two requests of one key next to each other were kept apart for a reason: the hole or the size.
        const byKey = new Map<string, typeof requests>();
        for (const r of requests) byKey.set(`${r.unitId}/${r.function}/${r.interval}`, [...(byKey.get(`${r.unitId}/${r.function}/${r.interval}`) ?? []), r]);
        for (const list of byKey.values()) {
          list.sort((a, b) => a.address - b.address);
          for (let i = 1; i < list.length; i++) {
            const [a, b] = [list[i - 1], list[i]];
            const max = isBitFunction(a.function) ? lim.maxBits : lim.maxRegisters;
            const gap = b.points[0].address - (a.address + a.count);
            const merged = Math.max(a.address + a.count, b.points[0].address + b.points[0].count) - a.address;
            expect(gap > lim.maxGap || merged > max).toBe(true);
          }
        }
      }),
    );
  });
});
