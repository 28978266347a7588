import { describe, expect, it } from "vitest";
import type { Logger } from "../../common/logger.js";
import { StorageHealth, WriteQueue } from "../../gateway/storage/health.js";

const full = () => Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });

describe("writes that wait while the disk is full", () => {
  const setup = (max = 10_000) => {
    const logged: string[] = [];
    const log: Logger = { debug() {}, info: (_: object, msg: string) => void logged.push(msg), warn() {}, error: (_: object, msg: string) => void logged.push(msg) };
    const health = new StorageHealth(log);
    let room = true;
    const written: number[] = [];
    const write = (n: number) => () => {
      if (!room) throw full();
      written.push(n);
    };
    return { queue: new WriteQueue("alert state", health, max), health, logged, written, write, setRoom: (r: boolean) => (room = r) };
  };

  it("keeps them in order while there is no room and writes them all once there is", () => {
    const s = setup();
    s.queue.run(s.write(1));
    s.setRoom(false);
    for (const n of [2, 3, 4]) s.queue.run(s.write(n));
    expect(s.queue.pending).toBe(3);
    expect(s.health.failures().map((f) => f.writer)).toEqual(["alert state"]);
    s.queue.drain();
    s.setRoom(true);
    s.queue.run(s.write(5));
    expect(s.written).toEqual([1, 2, 3, 4, 5]);
    expect(s.queue.pending).toBe(0);
    expect(s.health.failures()).toEqual([]);
    expect(s.logged).toEqual(["cannot write alert state to the database; keeping it in memory and retrying", "writing alert state to the database works again"]);
  });

  it("drops the oldest beyond its bound, and counts them", () => {
    const s = setup(2);
    s.setRoom(false);
    for (const n of [1, 2, 3, 4]) s.queue.run(s.write(n));
    s.setRoom(true);
    s.queue.drain();
    expect(s.written).toEqual([3, 4]);
    expect(s.queue.dropped).toBe(2);
  });

  it("does not hold a write that fails for another reason: it is thrown, and the next ones go on", () => {
    const s = setup();
    expect(() => s.queue.run(() => { throw new Error("constraint failed"); })).toThrow("constraint failed");
    s.queue.run(s.write(7));
    expect(s.written).toEqual([7]);
  });
});
