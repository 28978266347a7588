import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { virtualClock } from "../../common/clock.js";
import { backtest, type Interval } from "../../gateway/alerts/backtest.js";
import { AlertEngine, type AlertRecord } from "../../gateway/alerts/engine.js";
import { ruleSchema, type Rule } from "../../gateway/alerts/schema.js";

const info = { id: "spindle.bearing", name: "Spindle bearing", unit: "°C", source: "sim", staleAfterMs: 10_000 };
const FROM = 1_700_000_000_000;

/** The engine as it runs live: readings as they come, its tick every second, on one clock. */
function live(rule: Rule, ts: number[], values: number[], to: number): Interval[] {
  let now = FROM;
  const transitions: Array<{ from: string; to: string; at: number }> = [];
  const store = { loadAlerts: (): AlertRecord[] => [], saveAlert() {}, recordTransition: (t: { from: string; to: string; at: number }) => void transitions.push(t) };
  const engine = new AlertEngine({ rules: [rule], flood: { max: 1e9, window: 1 }, keepResolved: 0 }, store, { debug() {}, info() {}, warn() {}, error() {} }, virtualClock(() => now));
  engine.onHubEvent({ type: "channel", info });
  let tick = FROM + 1000;
  for (let i = 0; i <= ts.length; i++) {
    const t = i < ts.length ? ts[i] : to;
    for (; tick <= t; tick += 1000) {
      now = tick;
      engine.tick();
    }
    if (i === ts.length) break;
    now = t;
    engine.onHubEvent({ type: "reading", channel: info.id, value: values[i], ts: t, rx: t });
  }
  const out: Interval[] = [];
  for (const tr of transitions) {
    const open = out.at(-1);
    if (open && open.end === null) open.end = tr.at;
    if (tr.to === "pending" || tr.to === "firing") out.push({ state: tr.to, start: tr.at, end: null, peak: null });
  }
  return out;
}

const ruleArb = fc.record({
  above: fc.integer({ min: 70, max: 90 }),
  band: fc.integer({ min: 0, max: 8 }),
  forS: fc.integer({ min: 0, max: 20 }),
  clearForS: fc.integer({ min: 0, max: 20 }),
  below: fc.boolean(),
});
const seriesArb = fc.array(fc.tuple(fc.integer({ min: 1, max: 4000 }), fc.double({ min: 60, max: 100, noNaN: true })), { minLength: 1, maxLength: 400 });

describe("backtest", () => {
  it("gives the same pending and firing intervals, at the same times, as the engine does live", () => {
    fc.assert(
      fc.property(ruleArb, seriesArb, (r, steps) => {
        const rule = ruleSchema.parse({
          id: "r",
          channels: ["spindle.*"],
          when: r.below ? { below: r.above, clear: r.above + r.band } : { above: r.above, clear: r.above - r.band },
          for: r.forS * 1000,
          clearFor: r.clearForS * 1000,
        });
        const ts: number[] = [];
        const values: number[] = [];
        let t = FROM;
        for (const [dt, v] of steps) {
          t += dt;
          ts.push(t);
          values.push(v);
        }
        const to = t + 30_000;
        const expected = live(rule, ts, values, to);
        const result = backtest(rule, [{ info, ts, values }], FROM, to);
        expect(result.channels[0].intervals.map(({ state, start, end }) => ({ state, start, end }))).toEqual(expected.map(({ state, start, end }) => ({ state, start, end })));
        expect(result.firings).toBe(expected.filter((i) => i.state === "firing").length);
      }),
      { numRuns: 300 },
    );
  });

  it("summarises firings, the longest one and each one's peak, and no-data gaps", () => {
    const rule = ruleSchema.parse({ id: "hot", channels: ["spindle.bearing"], when: { above: 80, clear: 75 }, for: "3s" });
    const ts: number[] = [];
    const values: number[] = [];
    // One sample a second for an hour: two excursions above 80 (20 s and 60 s long).
    for (let s = 0; s < 3600; s++) {
      ts.push(FROM + s * 1000);
      values.push((s >= 600 && s < 620) || (s >= 1800 && s < 1860) ? 85 + (s % 7) : 70);
    }
    const r = backtest(rule, [{ info, ts, values }], FROM, FROM + 3_600_000);
    expect(r.firings).toBe(2);
    expect(r.firingsPerDay).toBe(48);
    const firing = r.channels[0].intervals.filter((i) => i.state === "firing");
    expect(firing.map((i) => [(i.start - FROM) / 1000, (i.end! - FROM) / 1000])).toEqual([[603, 620], [1803, 1860]]);
    expect(r.longestFiringMs).toBe(57_000);
    expect(firing.map((i) => i.peak)).toEqual([91, 91]);
    expect(r.approximate).toBeNull();

    // Still firing at the end of the range: it has lasted at least until then.
    const open = backtest(rule, [{ info, ts, values: values.map((v, i) => (i >= 3000 ? 90 : v)) }], FROM, FROM + 3_600_000);
    expect(open.channels[0].intervals.at(-1)).toMatchObject({ state: "firing", end: null });
    expect(open.longestFiringMs).toBe(3_600_000 - 3_003_000);

    const silent = ruleSchema.parse({ id: "silent", channels: ["*"], when: { noData: "30s" } });
    const gap = backtest(silent, [{ info, ts: ts.filter((t) => t < FROM + 1_000_000 || t > FROM + 1_100_000), values }], FROM, FROM + 3_600_000);
    expect(gap.firings).toBe(1);
  });

  it("replays per-minute history as one value per minute and says it is approximate", () => {
    const rule = ruleSchema.parse({ id: "hot", channels: ["spindle.bearing"], when: { above: 80 } });
    const ts = Array.from({ length: 1440 }, (_, m) => FROM + m * 60_000);
    const values = ts.map((_, m) => (m === 100 ? 90 : 60));
    const silent = ruleSchema.parse({ id: "silent", channels: ["*"], when: { noData: "30s" } });
    const r = backtest(rule, [{ info, ts, values }], FROM, FROM + 86_400_000, FROM + 86_400_000);
    expect(r.firings).toBe(1);
    expect(r.approximate).toMatch(/highest value/);
    expect(r.resolution).toBe("minute");
    // Minute samples are not silence between them.
    expect(backtest(silent, [{ info, ts, values }], FROM, FROM + 86_400_000, FROM + 86_400_000).firings).toBe(0);
  });

  it("replays per-minute values before the raw retention and every raw sample after it, in one run", () => {
    const rule = ruleSchema.parse({ id: "hot", channels: ["spindle.bearing"], when: { above: 80 }, for: "3s" });
    const rawFrom = FROM + 3_600_000;
    const ts: number[] = [];
    const values: number[] = [];
    // An hour per minute (one hot minute), then an hour of raw samples with one 10 s excursion.
    for (let m = 0; m < 60; m++) {
      ts.push(FROM + m * 60_000);
      values.push(m === 20 ? 90 : 60);
    }
    for (let s = 0; s < 3600; s++) {
      ts.push(rawFrom + s * 1000);
      values.push(s >= 1000 && s < 1010 ? 95 : 60);
    }
    const silent = ruleSchema.parse({ id: "silent", channels: ["*"], when: { noData: "30s" } });
    const r = backtest(rule, [{ info, ts, values }], FROM, FROM + 7_200_000, rawFrom);
    expect(r).toMatchObject({ resolution: "mixed", rawFrom, firings: 2 });
    const firing = r.channels[0].intervals.filter((i) => i.state === "firing");
    // Raw: exact to the second (fires 3 s after the excursion starts). Per minute: at the minute's tick.
    expect(firing[1]).toMatchObject({ start: rawFrom + 1_003_000, end: rawFrom + 1_010_000, peak: 95 });
    expect(firing[0].start).toBeGreaterThanOrEqual(FROM + 20 * 60_000);
    expect(firing[0].start).toBeLessThanOrEqual(FROM + 21 * 60_000);
    expect(r.approximate).toMatch(/before .* each minute is replayed as one highest value/);
    expect(backtest(silent, [{ info, ts, values }], FROM, FROM + 7_200_000, rawFrom).firings).toBe(0);
  });
});
