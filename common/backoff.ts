/** Capped exponential backoff with jitter, for reopening devices and reconnecting. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly minMs = 500,
    private readonly maxMs = 30_000,
    private readonly jitter = 0.2,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const base = Math.min(this.maxMs, this.minMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    const spread = base * this.jitter * (this.random() * 2 - 1);
    return Math.round(Math.min(this.maxMs, Math.max(this.minMs, base + spread)));
  }

  reset(): void {
    this.attempt = 0;
  }
}
