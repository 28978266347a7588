/**
 * Fixed-capacity time series: memory is allocated once and never grows. Always in time order: a
 * point dated before the newest ones replaces them, so after the wall clock was set back the points
 * stamped by the clock that ran ahead go rather than zigzag through a chart.
 */
export class Ring {
  private readonly ts: Float64Array;
  private readonly values: Float64Array;
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.ts = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
  }

  push(ts: number, value: number): void {
    while (this.count > 0 && this.ts[(this.start + this.count - 1) % this.capacity] > ts) this.count--;
    const index = (this.start + this.count) % this.capacity;
    this.ts[index] = ts;
    this.values[index] = value;
    if (this.count < this.capacity) this.count++;
    else this.start = (this.start + 1) % this.capacity;
  }

  get size(): number {
    return this.count;
  }

  /** Oldest first. */
  toArrays(): { ts: number[]; values: number[] } {
    const ts = new Array<number>(this.count);
    const values = new Array<number>(this.count);
    for (let i = 0; i < this.count; i++) {
      const index = (this.start + i) % this.capacity;
      ts[i] = this.ts[index];
      values[i] = this.values[index];
    }
    return { ts, values };
  }
}
