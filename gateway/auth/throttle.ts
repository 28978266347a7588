import { systemClock, type Clock } from "../../common/clock.js";

const MINUTE = 60_000;

/**
 * Sign-in limiter: more than `limit` failures for one key (an IP or a username) within `windowMs`
 * lock that key out until the window has passed, and no key gets more than `perMinute` attempts a
 * minute, right or wrong: each costs a 32 MiB scrypt and a write of the session file, so even a
 * client with a valid password cannot keep the gateway busy signing it in. Memory is bounded.
 *
 * Checking a password takes a while (scrypt), so attempts still being checked count as failures
 * until they are decided: however many arrive at once, no more than `limit` are checked.
 */
export class LoginThrottle {
  // Attempt and failure times are monotonic: setting the wall clock can neither lift a lock-out nor make one last hours.
  private readonly failures = new Map<string, number[]>();
  private readonly attempts = new Map<string, number[]>();
  private readonly checking = new Map<string, number>();

  constructor(
    private readonly limit = 5,
    private readonly windowMs = 5 * 60_000,
    private readonly perMinute = 20,
    private readonly maxKeys = 10_000,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Milliseconds until the key may try again, or 0. */
  retryAfter(key: string): number {
    const recent = this.recent(this.failures, key, this.windowMs);
    if (recent.length >= this.limit) return recent[0] + this.windowMs - this.clock.mono();
    const lastMinute = this.recent(this.attempts, key, MINUTE);
    if (lastMinute.length >= this.perMinute) return lastMinute[0] + MINUTE - this.clock.mono();
    return recent.length + (this.checking.get(key) ?? 0) >= this.limit ? 1000 : 0;
  }

  /**
   * Admits one attempt for all `keys` if none of them is locked, and holds its place until `settle`
   * is called with the outcome; otherwise says how long to wait (ms).
   */
  begin(keys: string[]): { wait: number; settle?: (ok: boolean) => void } {
    const wait = Math.max(...keys.map((k) => this.retryAfter(k)));
    if (wait > 0) return { wait };
    for (const k of keys) {
      this.checking.set(k, (this.checking.get(k) ?? 0) + 1);
      this.record(this.attempts, k, MINUTE);
    }
    return {
      wait: 0,
      settle: (ok) => {
        for (const k of keys) {
          const left = (this.checking.get(k) ?? 1) - 1;
          if (left > 0) this.checking.set(k, left);
          else this.checking.delete(k);
          if (ok) this.succeed(k);
          else this.fail(k);
        }
      },
    };
  }

  fail(key: string): void {
    this.record(this.failures, key, this.windowMs);
  }

  succeed(key: string): void {
    this.failures.delete(key);
  }

  /** Adds now to the key's times, the key becoming the newest, the oldest key going beyond `maxKeys`. */
  private record(times: Map<string, number[]>, key: string, windowMs: number): void {
    const recent = this.recent(times, key, windowMs);
    recent.push(this.clock.mono());
    times.delete(key);
    times.set(key, recent);
    if (times.size > this.maxKeys) times.delete(times.keys().next().value!);
  }

  private recent(times: Map<string, number[]>, key: string, windowMs: number): number[] {
    const cutoff = this.clock.mono() - windowMs;
    return (times.get(key) ?? []).filter((t) => t > cutoff);
  }
}
