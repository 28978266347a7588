import { systemClock, type Clock } from "../../common/clock.js";
import type { Logger } from "../../common/logger.js";

export interface WriterFailure {
  writer: string;
  since: number;
  error: string;
}

/**
 * Which writers (history, alert state, outbox) cannot write to the database now, and since when.
 * Each failure is logged once when it starts and once when writing works again, so a full disk
 * does not also fill the journal.
 */
export class StorageHealth {
  private readonly failing = new Map<string, WriterFailure & { sinceMono: number }>();

  constructor(
    private readonly log: Logger,
    private readonly clock: Clock = systemClock,
  ) {}

  failed(writer: string, err: unknown): void {
    if (this.failing.has(writer)) return;
    const error = (err as Error).message;
    this.failing.set(writer, { writer, since: this.clock.wall(), sinceMono: this.clock.mono(), error });
    this.log.error({ writer, err: error }, `cannot write ${writer} to the database; keeping it in memory and retrying`);
  }

  ok(writer: string): void {
    const failure = this.failing.get(writer);
    if (!failure) return;
    this.failing.delete(writer);
    this.log.info({ writer, failedForMs: Math.round(this.clock.mono() - failure.sinceMono) }, `writing ${writer} to the database works again`);
  }

  failures(): WriterFailure[] {
    return [...this.failing.values()].map(({ writer, since, error }) => ({ writer, since, error }));
  }
}

/** The SQLite errors that mean "no room or no disk", which pass when space returns. */
export function isStorageError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" && /^SQLITE_(FULL|IOERR|READONLY|BUSY|CANTOPEN)/.test(code);
}

/**
 * Writes that must neither be lost nor thrown at their callers while the disk is full: each runs
 * at once if nothing waits before it, else (or when it fails for want of space) waits its turn in
 * memory, in order, and is tried again by `drain()`. Beyond `max` waiting writes the oldest go.
 */
export class WriteQueue {
  private readonly waiting: Array<() => void> = [];
  dropped = 0;

  constructor(
    private readonly writer: string,
    private readonly health: StorageHealth,
    private readonly max = 10_000,
  ) {}

  get pending(): number {
    return this.waiting.length;
  }

  run(write: () => void): void {
    this.waiting.push(write);
    if (this.waiting.length > this.max) {
      this.waiting.shift();
      this.dropped++;
    }
    this.drain();
  }

  drain(): void {
    while (this.waiting.length) {
      try {
        this.waiting[0]();
      } catch (err) {
        if (isStorageError(err)) return this.health.failed(this.writer, err);
        this.waiting.shift();
        throw err;
      }
      this.waiting.shift();
    }
    this.health.ok(this.writer);
  }
}
