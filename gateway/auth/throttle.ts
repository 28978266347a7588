/**
 * Failed-login limiter: more than `limit` failures for one key (an IP or a username) within
 * `windowMs` locks that key out until the window has passed. Memory is bounded.
 *
 * Checking a password takes a while (scrypt), so attempts still being checked count as failures
 * until they are decided: however many arrive at once, no more than `limit` are checked.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();
  private readonly checking = new Map<string, number>();

  constructor(
    private readonly limit = 5,
    private readonly windowMs = 5 * 60_000,
    private readonly maxKeys = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until the key may try again, or 0. */
  retryAfter(key: string): number {
    const recent = this.recent(key);
    if (recent.length >= this.limit) return recent[0] + this.windowMs - this.now();
    return recent.length + (this.checking.get(key) ?? 0) >= this.limit ? 1000 : 0;
  }

  /**
   * Admits one attempt for all `keys` if none of them is locked, and holds its place until `settle`
   * is called with the outcome; otherwise says how long to wait (ms).
   */
  begin(keys: string[]): { wait: number; settle?: (ok: boolean) => void } {
    const wait = Math.max(...keys.map((k) => this.retryAfter(k)));
    if (wait > 0) return { wait };
    for (const k of keys) this.checking.set(k, (this.checking.get(k) ?? 0) + 1);
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
    const recent = this.recent(key);
    recent.push(this.now());
    this.failures.delete(key);
    this.failures.set(key, recent);
    if (this.failures.size > this.maxKeys) this.failures.delete(this.failures.keys().next().value!);
  }

  succeed(key: string): void {
    this.failures.delete(key);
  }

  private recent(key: string): number[] {
    const cutoff = this.now() - this.windowMs;
    return (this.failures.get(key) ?? []).filter((t) => t > cutoff);
  }
}
