/**
 * The last `spanMs` of items, by the wall time each was stamped with, and never more than
 * `maxBytes` of them: the pre-roll of a record, read when its post-roll has passed. Items arrive
 * in time order; one older than the newest (a clock set back) clears the ring rather than mix
 * two timelines.
 */
export class TimedRing<T> {
  private items: Array<{ at: number; item: T; bytes: number }> = [];
  private head = 0;
  private bytes = 0;

  constructor(
    private readonly spanMs: number,
    private readonly maxBytes: number,
  ) {}

  push(at: number, item: T, bytes: number): void {
    const newest = this.items[this.items.length - 1];
    if (newest && at < newest.at) this.clear();
    this.items.push({ at, item, bytes });
    this.bytes += bytes;
    while (this.head < this.items.length && (this.items[this.head].at < at - this.spanMs || this.bytes > this.maxBytes)) {
      this.bytes -= this.items[this.head].bytes;
      this.head++;
    }
    // Compact now and then rather than shift() on every push.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  /** Items stamped in [from, to], oldest first. */
  range(from: number, to: number): Array<{ at: number; item: T }> {
    const out: Array<{ at: number; item: T }> = [];
    for (let i = this.head; i < this.items.length; i++) {
      const { at, item } = this.items[i];
      if (at >= from && at <= to) out.push({ at, item });
    }
    return out;
  }

  get size(): number {
    return this.items.length - this.head;
  }

  get byteSize(): number {
    return this.bytes;
  }

  private clear(): void {
    this.items = [];
    this.head = 0;
    this.bytes = 0;
  }
}
