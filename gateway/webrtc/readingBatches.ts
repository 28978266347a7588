import type { Hub } from "../hub/hub.js";
import type { ReadingTuple, TelemetryMessage } from "../protocol/telemetry.js";

/** One batch of live readings, handed to every viewer's stream alike. */
export class ReadingBatch {
  private text: string | undefined;
  constructor(
    readonly now: number,
    readonly readings: ReadingTuple[],
  ) {}

  /** The batch as a `readings` message, encoded once however many viewers send it whole. */
  get encoded(): string {
    return (this.text ??= JSON.stringify({ v: 1, t: "readings", now: this.now, r: this.readings } satisfies TelemetryMessage));
  }
}

/**
 * The hub's live readings, gathered once for all viewers and handed out at most once per
 * `batchMs`: a reading after a quiet spell goes out in the same event-loop turn, the ones that
 * follow within the window wait for its end. Each message costs every viewer an SCTP packet, a
 * DTLS record and a SACK, so fewer, larger ones make a viewer cheaper; 0 batches per turn only.
 * A batch holds at most `maxReadings` (a fast fieldbus in a long window would make one message
 * larger than a browser takes); more go out at once.
 */
export class ReadingBatches {
  private pending: ReadingTuple[] = [];
  private readonly listeners = new Set<(batch: ReadingBatch) => void>();
  private timer: NodeJS.Timeout | undefined;
  private turn: NodeJS.Immediate | undefined;
  private lastFlush = -Infinity;
  private readonly unsubscribe: () => void;

  constructor(
    hub: Hub,
    private readonly batchMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxReadings = 2000,
  ) {
    this.unsubscribe = hub.subscribe((e) => {
      if (e.type === "reading" && this.listeners.size > 0) this.add([e.channel, e.ts, e.value]);
    });
  }

  /** Readings already in the hub's state but not yet handed out: a stream starting now has them in its snapshot. */
  get unsent(): number {
    return this.pending.length;
  }

  subscribe(listener: (batch: ReadingBatch) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.unsubscribe();
    clearTimeout(this.timer);
    if (this.turn) clearImmediate(this.turn);
    this.listeners.clear();
    this.pending = [];
  }

  private add(reading: ReadingTuple): void {
    this.pending.push(reading);
    if (this.pending.length >= this.maxReadings) {
      clearTimeout(this.timer);
      if (this.turn) clearImmediate(this.turn);
      return this.flush();
    }
    if (this.timer || this.turn) return;
    const wait = this.lastFlush + this.batchMs - performance.now();
    if (wait > 0) this.timer = setTimeout(() => this.flush(), wait);
    else this.turn = setImmediate(() => this.flush());
  }

  private flush(): void {
    this.timer = this.turn = undefined;
    this.lastFlush = performance.now();
    const batch = new ReadingBatch(this.now(), this.pending);
    this.pending = [];
    for (const listener of this.listeners) listener(batch);
  }
}
