import { describe, expect, it } from "vitest";
import { Credentials } from "../../gateway/auth/sessions.js";

describe("login sessions", () => {
  it("one user signing in again and again loses their own oldest sessions, never another user's", () => {
    const credentials = new Credentials(3_600_000);
    const other = credentials.createSession("bob", "operator");
    const mine = Array.from({ length: 30 }, () => credentials.createSession("alice", "viewer"));
    expect(credentials.fromSession(other)?.name).toBe("bob");
    expect(mine.filter((id) => credentials.fromSession(id))).toEqual(mine.slice(10));
  });

  it("when every session is taken, the one to go is the oldest of whoever holds the most", () => {
    const credentials = new Credentials(3_600_000, { maxSessions: 6 });
    const bob = credentials.createSession("bob", "operator");
    const alice = Array.from({ length: 5 }, () => credentials.createSession("alice", "viewer"));
    const carol = credentials.createSession("carol", "viewer");
    expect(credentials.fromSession(bob)?.name).toBe("bob");
    expect(credentials.fromSession(carol)?.name).toBe("carol");
    expect(alice.filter((id) => credentials.fromSession(id))).toEqual(alice.slice(1));
  });
});
