import { describe, expect, it } from "vitest";
import { virtualClock } from "../../common/clock.js";
import { LoginThrottle } from "../../gateway/auth/throttle.js";

describe("the sign-in throttle", () => {
  const clock = () => {
    let t = 1_000_000;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  };

  it("locks a key out after five failures for five minutes, and a success clears them", () => {
    const c = clock();
    const throttle = new LoginThrottle(5, 5 * 60_000, 20, 100, virtualClock(c.now));
    for (let i = 0; i < 4; i++) throttle.begin(["user:a"]).settle!(false);
    throttle.begin(["user:a"]).settle!(true);
    for (let i = 0; i < 5; i++) throttle.begin(["user:a"]).settle!(false);
    expect(throttle.begin(["user:a"]).wait).toBe(5 * 60_000);
    c.advance(5 * 60_000 + 1);
    expect(throttle.begin(["user:a"]).wait).toBe(0);
  });

  it("admits no more than 20 sign-ins a minute per key even when every one is right", () => {
    const c = clock();
    const throttle = new LoginThrottle(5, 5 * 60_000, 20, 100, virtualClock(c.now));
    for (let i = 0; i < 20; i++) {
      const attempt = throttle.begin(["ip:1", "user:a"]);
      expect(attempt.wait).toBe(0);
      attempt.settle!(true);
      c.advance(1000);
    }
    const refused = throttle.begin(["ip:1", "user:b"]);
    expect(refused.settle).toBeUndefined();
    expect(refused.wait).toBe(40_000);
    expect(throttle.begin(["ip:2", "user:b"]).wait).toBe(0);
    c.advance(40_000);
    expect(throttle.begin(["ip:1", "user:c"]).wait).toBe(0);
  });

  it("keeps at most maxKeys keys, forgetting the oldest", () => {
    const c = clock();
    const throttle = new LoginThrottle(1, 5 * 60_000, 20, 3, virtualClock(c.now));
    for (const k of ["a", "b", "c", "d"]) throttle.begin([k]).settle!(false);
    expect(throttle.begin(["a"]).wait).toBe(0);
    expect(throttle.begin(["d"]).wait).toBeGreaterThan(0);
  });
});
