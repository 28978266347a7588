import type { Condition } from "./schema.js";

/**
 * One condition's live state. Thresholds have hysteresis: once active, `above: 80, clear: 75`
 * stays active until the value is at or below 75, so a signal wobbling between 75 and 80 never
 * chatters.
 */
export class ConditionState {
  active = false;
  private window: Array<[number, number]> = [];

  constructor(readonly condition: Condition) {}

  /** A new reading at gateway time `t`. */
  reading(value: number, t: number): void {
    const c = this.condition;
    if ("above" in c) {
      this.active = this.active ? value > (c.clear ?? c.above) : value > c.above;
    } else if ("below" in c) {
      this.active = this.active ? value < (c.clear ?? c.below) : value < c.below;
    } else if ("rate" in c) {
      const per = c.rate.per;
      const last = this.window.at(-1);
      // Keep at most ~120 points per window: enough for a slope, bounded for fast sensors.
      if (!last || t - last[0] >= per / 120) this.window.push([t, value]);
      while (this.window.length > 2 && this.window[0][0] < t - per) this.window.shift();
      const first = this.window[0];
      const span = t - first[0];
      if (span < per / 2) return;
      const slope = ((value - first[1]) / span) * per;
      this.active = c.rate.above !== undefined ? slope > c.rate.above : slope < c.rate.below!;
    }
  }

  /** Time passing without readings: only no-data conditions change. */
  tick(t: number, lastReadingAt: number | undefined, since: number): void {
    if ("noData" in this.condition) this.active = t - (lastReadingAt ?? since) >= this.condition.noData;
  }

  /** Data resumed: a no-data condition clears at once. */
  dataSeen(): void {
    if ("noData" in this.condition) this.active = false;
  }
}
