import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { JumpDetector, type Clock } from "../../common/clock.js";
import type { Logger } from "../../common/logger.js";
import { RateLimitedWarn } from "../../common/rateLimitedLog.js";
import { AlertEngine, type AlertRecord, type AlertStore } from "../../gateway/alerts/engine.js";
import { alertsSchema } from "../../gateway/alerts/schema.js";
import { Credentials } from "../../gateway/auth/sessions.js";
import { ClockWatch, TIMEDATECTL_EVERY_MS } from "../../gateway/clockStatus.js";
import { LoginThrottle } from "../../gateway/auth/throttle.js";
import { Hub, type HubEvent } from "../../gateway/hub/hub.js";
import { Ring } from "../../gateway/hub/ring.js";
import { Outbox } from "../../gateway/notify/outbox.js";
import { openDatabase } from "../../gateway/storage/db.js";
import { StorageHealth } from "../../gateway/storage/health.js";

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const HOUR = 3_600_000;

/** A wall clock that a test sets like NTP does, and a monotonic clock that only time moves. */
class TestClock implements Clock {
  private wallOffset = 1_700_000_000_000;
  private monoNow = 50_000;
  wall = () => this.monoNow + this.wallOffset;
  mono = () => this.monoNow;
  /** Time passes. */
  advance(ms: number): void {
    this.monoNow += ms;
  }
  /** The wall clock is set: it jumps, time does not pass. */
  jump(ms: number): void {
    this.wallOffset += ms;
  }
}

class MemoryStore implements AlertStore {
  records = new Map<string, AlertRecord>();
  loadAlerts = () => [...this.records.values()].map((r) => structuredClone(r));
  saveAlert = (r: AlertRecord) => void this.records.set(r.id, structuredClone(r));
  recordTransition() {}
}

function alerting(rule: object, clock = new TestClock(), store = new MemoryStore()) {
  const engine = new AlertEngine(alertsSchema.parse({ rules: [{ id: "hot", channels: ["t"], ...rule }] }), store, quiet, clock);
  const hub = new Hub(quiet, 10, clock);
  hub.subscribe((e) => engine.onHubEvent(e));
  const sink = hub.sinkFor("s");
  sink.channel({ id: "t", name: "T", unit: "°C", source: "s", staleAfterMs: 5000 });
  const states: string[] = [];
  const quietFlags: boolean[] = [];
  engine.subscribe({ transition: (t) => (states.push(t.to), quietFlags.push(t.quiet)) });
  const step = (ms: number) => {
    clock.advance(ms);
    engine.tick();
  };
  return { engine, clock, store, states, quietFlags, step, feed: (value: number) => sink.reading({ channel: "t", value, ts: clock.wall() }) };
}

describe("durations when the wall clock jumps", () => {
  for (const jump of [3 * HOUR, -3 * HOUR]) {
    it(`a pending alert with for: 10s fires after 10 s, not earlier nor later, when the clock jumps ${jump > 0 ? "forward" : "back"} by 3 h`, () => {
      const a = alerting({ when: { above: 80 }, for: "10s" });
      a.feed(90);
      expect(a.states).toEqual(["pending"]);
      a.step(4000);
      a.clock.jump(jump);
      a.feed(90);
      a.step(5000);
      expect(a.states).toEqual(["pending"]);
      a.step(1000);
      expect(a.states).toEqual(["pending", "firing"]);
      // What it shows: pending since 10 s ago by the clock as it reads now.
      expect(a.engine.get("hot~t")!.firingSince).toBe(a.clock.wall());
    });
  }

  it("clearFor and no-data run on time through a jump back", () => {
    const a = alerting({ when: { above: 80 }, clearFor: "10s" });
    a.feed(90);
    a.feed(70);
    a.clock.jump(-5 * HOUR);
    a.step(9000);
    expect(a.states).toEqual(["firing"]);
    a.step(1000);
    expect(a.states).toEqual(["firing", "resolved"]);

    const silent = alerting({ when: { noData: "30s" } });
    silent.feed(1);
    silent.clock.jump(-5 * HOUR);
    silent.step(29_000);
    expect(silent.states).toEqual([]);
    silent.step(1000);
    expect(silent.states).toEqual(["firing"]);
  });

  it("a one-hour shelving lasts an hour through a jump forward, and its until moves with the clock", () => {
    const a = alerting({ when: { above: 80 } });
    a.feed(90);
    a.engine.shelve("hot~t", "op", HOUR);
    const until = a.engine.get("hot~t")!.shelvedUntil!;
    a.clock.jump(5 * HOUR);
    expect(a.engine.get("hot~t")!.shelvedUntil).toBe(until + 5 * HOUR);
    a.feed(70);
    expect(a.quietFlags.at(-1)).toBe(true);
    a.step(HOUR);
    a.feed(90);
    expect(a.states.at(-1)).toBe("firing");
    expect(a.quietFlags.at(-1)).toBe(false);
  });

  it("the alert list shows the latest change first, also when it was stamped after the clock was set back", () => {
    const clock = new TestClock();
    const engine = new AlertEngine(alertsSchema.parse({ rules: [{ id: "hot", channels: ["*"], when: { above: 80 } }] }), new MemoryStore(), quiet, clock);
    const hub = new Hub(quiet, 10, clock);
    hub.subscribe((e) => engine.onHubEvent(e));
    const sink = hub.sinkFor("s");
    for (const id of ["a", "b"]) sink.channel({ id, name: id, unit: "°C", source: "s", staleAfterMs: 5000 });
    sink.reading({ channel: "a", value: 90, ts: clock.wall() });
    clock.advance(1000);
    clock.jump(-HOUR);
    sink.reading({ channel: "b", value: 90, ts: clock.wall() });
    expect(engine.list().map((a) => a.channel)).toEqual(["b", "a"]);
  });

  it("a timer saved before a restart continues by the wall clock's elapsed time, never negative", () => {
    const store = new MemoryStore();
    const first = alerting({ when: { above: 80 }, for: "10m" }, new TestClock(), store);
    first.feed(90);
    first.step(8 * 60_000);
    first.feed(90);
    expect(first.states).toEqual(["pending"]);
    const copy = () => Object.assign(new MemoryStore(), { records: structuredClone(store.records) });
    // The next run: a fresh monotonic origin, the wall clock two minutes on less the time it took.
    const later = new TestClock();
    later.jump(first.clock.wall() - later.wall());
    const second = alerting({ when: { above: 80 }, for: "10m" }, later, copy());
    second.feed(90);
    second.step(119_000);
    expect(second.states).toEqual([]);
    second.step(1000);
    expect(second.states).toEqual(["firing"]);

    // Saved "in the future" (the clock was set back while the gateway was down): from zero, not never.
    const back = new TestClock();
    back.jump(first.clock.wall() - back.wall() - 2 * HOUR);
    const third = alerting({ when: { above: 80 }, for: "10m" }, back, copy());
    third.feed(90);
    third.step(599_000);
    expect(third.states).toEqual([]);
    third.step(1000);
    expect(third.states).toEqual(["firing"]);
  });

  it("the hub marks a channel stale after staleAfter, whichever way the clock jumps", () => {
    for (const jump of [4 * HOUR, -4 * HOUR]) {
      const clock = new TestClock();
      const hub = new Hub(quiet, 10, clock);
      const events: HubEvent[] = [];
      hub.subscribe((e) => events.push(e));
      const sink = hub.sinkFor("s");
      sink.channel({ id: "a", name: "A", unit: "°C", source: "s", staleAfterMs: 5000 });
      sink.reading({ channel: "a", value: 1, ts: clock.wall() });
      const check = () => (hub as unknown as { checkStale(): void }).checkStale();
      clock.jump(jump);
      clock.advance(4000);
      check();
      expect(hub.channelStates()[0].stale).toBe(false);
      clock.advance(1500);
      check();
      expect(hub.channelStates()[0].stale).toBe(true);
    }
  });

  it("a session lasts its ttl on the monotonic clock, and is saved with an expiry the next run can read", () => {
    const clock = new TestClock();
    const file = join(mkdtempSync(join(tmpdir(), "wachter-clock-")), "sessions.json");
    const credentials = new Credentials(12 * HOUR, { file, clock });
    const id = credentials.createSession("alice", "viewer");
    clock.jump(24 * HOUR);
    expect(credentials.fromSession(id)?.name).toBe("alice");
    clock.jump(-48 * HOUR);
    clock.advance(12 * HOUR);
    expect(credentials.fromSession(id)).toBeUndefined();

    const other = credentials.createSession("bob", "viewer");
    clock.advance(HOUR);
    credentials.createSession("carol", "viewer"); // saves the file
    const next = new TestClock();
    next.jump(clock.wall() - next.wall());
    const reloaded = new Credentials(12 * HOUR, { file, clock: next });
    next.advance(11 * HOUR - 1);
    expect(reloaded.fromSession(other)?.name).toBe("bob");
    next.advance(1);
    expect(reloaded.fromSession(other)).toBeUndefined();
  });

  it("a sign-in lock-out is not lifted by setting the clock forward", () => {
    const clock = new TestClock();
    const throttle = new LoginThrottle(2, 5 * 60_000, 20, 100, clock);
    throttle.fail("ip");
    throttle.fail("ip");
    clock.jump(HOUR);
    expect(throttle.retryAfter("ip")).toBe(5 * 60_000);
    clock.advance(5 * 60_000);
    expect(throttle.retryAfter("ip")).toBe(0);
  });

  it("an outbox retry is due after its delay even when the clock was set back; a stored wait longer than any delay is not believed", () => {
    const clock = new TestClock();
    const file = join(mkdtempSync(join(tmpdir(), "wachter-clock-")), "o.db");
    const outbox = new Outbox(openDatabase(file), new StorageHealth(quiet), 100, clock);
    outbox.add("s", "x");
    const [item] = outbox.due("s", 10);
    outbox.retryLater(item.id, 2000);
    clock.jump(-3 * HOUR);
    expect(outbox.due("s", 10)).toEqual([]);
    clock.advance(2000);
    expect(outbox.due("s", 10).map((i) => i.payload)).toEqual(["x"]);

    outbox.retryLater(item.id, 60_000);
    const restarted = new TestClock();
    restarted.jump(clock.wall() - restarted.wall() - 3 * HOUR);
    expect(new Outbox(openDatabase(file), new StorageHealth(quiet), 100, restarted).due("s", 10).map((i) => i.payload)).toEqual(["x"]);
  });

  it("rate-limited warnings stay rate-limited, and come back, when the clock jumps back", () => {
    const clock = new TestClock();
    const logged: string[] = [];
    const log: Logger = { ...quiet, warn: (_: object, msg: string) => void logged.push(msg) };
    const warn = new RateLimitedWarn(log, 10_000, clock);
    warn.warn({}, "a");
    clock.jump(-HOUR);
    warn.warn({}, "b");
    clock.advance(10_000);
    warn.warn({}, "c");
    expect(logged).toEqual(["a", "c"]);
  });
});

describe("clock jumps", () => {
  it("are noticed with their size and direction; a running clock is not a jump", () => {
    const clock = new TestClock();
    const detector = new JumpDetector(clock);
    clock.advance(HOUR);
    expect(detector.check()).toBeUndefined();
    clock.jump(-2 * HOUR);
    expect(detector.check()).toEqual({ at: clock.wall(), deltaMs: -2 * HOUR });
    expect(detector.check()).toBeUndefined();
  });

  it("the hub's recent history stays in time order: after a jump back, points dated later go", () => {
    const ring = new Ring(5);
    for (const t of [10, 20, 30, 40]) ring.push(t, t);
    ring.push(25, 0);
    expect(ring.toArrays()).toEqual({ ts: [10, 20, 25], values: [10, 20, 0] });
  });

  it("the clock watch reports synchronisation from its file and every jump, once", async () => {
    const clock = new TestClock();
    const syncFile = join(mkdtempSync(join(tmpdir(), "wachter-clock-")), "synchronized");
    const jumps: number[] = [];
    const warnings: string[] = [];
    const log: Logger = { ...quiet, warn: (_: object, msg: string) => void warnings.push(msg) };
    const watch = new ClockWatch(log, { syncFile, clock, onJump: (j) => jumps.push(j.deltaMs) });
    await watch.refresh();
    expect(watch.status()).toMatchObject({ synchronized: false, via: "timesyncd", jumps: 0, lastJump: null });
    writeFileSync(syncFile, "");
    await watch.refresh();
    expect(watch.status().synchronized).toBe(true);
    clock.advance(1000);
    clock.jump(13 * HOUR);
    expect(watch.status()).toMatchObject({ jumps: 1, lastJump: { at: clock.wall(), deltaMs: 13 * HOUR }, now: clock.wall() });
    expect(watch.status().jumps).toBe(1);
    expect(jumps).toEqual([13 * HOUR]);
    expect(warnings).toEqual(["the gateway's clock is not synchronised: times may be wrong until NTP is reached", "the gateway's wall clock jumped forward by 13 h 0 min"]);
  });

  /** A `timedatectl` that answers what its directory's `answer` file says (exiting 1 on "fail") and notes each call in `calls`. */
  function fakeTimedatectl(answer: string): { path: string; answer: (a: string) => void; calls: () => string[] } {
    const dir = mkdtempSync(join(tmpdir(), "wachter-timedatectl-"));
    const path = join(dir, "timedatectl");
    writeFileSync(path, '#!/bin/sh\necho "$@" >> "$(dirname "$0")/calls"\nanswer=$(cat "$(dirname "$0")/answer")\n[ "$answer" = fail ] && exit 1\necho "$answer"\n');
    chmodSync(path, 0o755);
    const say = (a: string) => writeFileSync(join(dir, "answer"), a);
    say(answer);
    const callsFile = join(dir, "calls");
    return { path, answer: say, calls: () => (existsSync(callsFile) ? readFileSync(callsFile, "utf8").trim().split("\n") : []) };
  }

  /** Where timesyncd's file would be if its runtime directory existed (it does not: timesyncd is not running). */
  const withoutTimesyncd = () => join(mkdtempSync(join(tmpdir(), "wachter-clock-")), "timesync", "synchronized");

  it("while timesyncd runs (its directory exists), its file alone decides and timedatectl is not run", async () => {
    const syncFile = join(mkdtempSync(join(tmpdir(), "wachter-clock-")), "synchronized");
    const fake = fakeTimedatectl("yes");
    const watch = new ClockWatch(quiet, { syncFile, timedatectlCommand: fake.path, clock: new TestClock() });
    await watch.refresh();
    expect(watch.status()).toMatchObject({ synchronized: false, via: "timesyncd" });
    expect(fake.calls()).toEqual([]);
  });

  it("without timesyncd, timedatectl decides, asked at most once a minute, also after it failed", async () => {
    const fake = fakeTimedatectl("no");
    const clock = new TestClock();
    const watch = new ClockWatch(quiet, { syncFile: withoutTimesyncd(), timedatectlCommand: fake.path, clock });
    await watch.refresh();
    expect(watch.status()).toMatchObject({ synchronized: false, via: "timedatectl" });
    expect(fake.calls()).toEqual(["show -p NTPSynchronized --value"]);
    fake.answer("fail");
    clock.advance(TIMEDATECTL_EVERY_MS - 1000);
    await watch.refresh();
    expect(watch.status()).toMatchObject({ synchronized: false, via: "timedatectl" });
    expect(fake.calls()).toHaveLength(1);
    clock.advance(1000);
    await watch.refresh();
    expect(watch.status()).toMatchObject({ synchronized: null, via: "none" });
    fake.answer("yes");
    clock.advance(TIMEDATECTL_EVERY_MS);
    await watch.refresh();
    expect(watch.status()).toMatchObject({ synchronized: true, via: "timedatectl" });
    expect(fake.calls()).toHaveLength(3);
  });

  it("once timesyncd stops, what timedatectl said last decides, not timesyncd's last word", async () => {
    const syncFile = withoutTimesyncd();
    const fake = fakeTimedatectl("no");
    const clock = new TestClock();
    const watch = new ClockWatch(quiet, { syncFile, timedatectlCommand: fake.path, clock });
    await watch.refresh();
    mkdirSync(dirname(syncFile));
    writeFileSync(syncFile, "");
    clock.advance(10_000);
    await watch.refresh();
    expect(watch.status()).toMatchObject({ synchronized: true, via: "timesyncd" });
    rmSync(dirname(syncFile), { recursive: true });
    clock.advance(10_000);
    await watch.refresh();
    expect(watch.status()).toMatchObject({ synchronized: false, via: "timedatectl" });
    expect(fake.calls()).toHaveLength(1);
  });

  it("a timedatectl that is not installed is not looked for again", async () => {
    const fake = fakeTimedatectl("yes");
    const later = join(fake.path, "..", "later");
    const clock = new TestClock();
    const watch = new ClockWatch(quiet, { syncFile: withoutTimesyncd(), timedatectlCommand: later, clock });
    await watch.refresh();
    expect(watch.status()).toMatchObject({ synchronized: null, via: "none" });
    writeFileSync(later, readFileSync(fake.path));
    chmodSync(later, 0o755);
    clock.advance(10 * TIMEDATECTL_EVERY_MS);
    await watch.refresh();
    expect(watch.status()).toMatchObject({ synchronized: null, via: "none" });
    expect(fake.calls()).toEqual([]);
  });
});
