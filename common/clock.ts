/**
 * The gateway's two clocks. A Raspberry Pi has no real-time clock: it boots at the time last saved
 * (or 1970) and jumps when NTP arrives, perhaps hours later, perhaps never. So:
 * - `wall()` (epoch ms) stamps what people read, what is stored and what is sent: readings, alert
 *   times, the until of a shelving. It may jump either way.
 * - `mono()` (ms from an arbitrary origin) never jumps and measures every duration: `for`,
 *   `clearFor`, no-data, staleness, session expiry, rate limits, retries.
 * Anything that must survive a restart is stored as wall time and mapped onto `mono()` when it is
 * loaded (`toMono`): across a restart the wall clock is the only link between the two runs.
 */
export interface Clock {
  wall(): number;
  mono(): number;
}

export const systemClock: Clock = { wall: () => Date.now(), mono: () => performance.now() };

/** A clock for replays and tests, whose one time is both wall and monotonic time. */
export const virtualClock = (now: () => number): Clock => ({ wall: now, mono: now });

/** The monotonic time at which the wall clock, as it reads now, shows `wallMs`. */
export const toMono = (clock: Clock, wallMs: number): number => clock.mono() + (wallMs - clock.wall());

/** The wall time, as the wall clock reads now, of monotonic time `monoMs`. */
export const toWall = (clock: Clock, monoMs: number): number => clock.wall() + (monoMs - clock.mono());

/** How far the wall clock may drift from the monotonic one between two looks before it counts as a jump. */
export const CLOCK_JUMP_MS = 2000;

export interface ClockJump {
  /** Wall time after the jump. */
  at: number;
  /** Positive: the wall clock jumped forward. */
  deltaMs: number;
}

/**
 * Notices when the wall clock is set (NTP's first sync, a person, a bad server): the difference
 * between wall and monotonic time changes, which it never does while the clock merely runs.
 */
export class JumpDetector {
  private offset: number;

  constructor(
    private readonly clock: Clock,
    private readonly thresholdMs = CLOCK_JUMP_MS,
  ) {
    this.offset = clock.wall() - clock.mono();
  }

  /** The jump since the last check, if any. */
  check(): ClockJump | undefined {
    const offset = this.clock.wall() - this.clock.mono();
    const deltaMs = offset - this.offset;
    this.offset = offset;
    return Math.abs(deltaMs) >= this.thresholdMs ? { at: this.clock.wall(), deltaMs: Math.round(deltaMs) } : undefined;
  }
}
