import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { checkModbus } from "../../sensors/modbus/check.js";
import { ModbusSource } from "../../sensors/modbus/modbusSource.js";
import { modbusSourceSchema } from "../../sensors/modbus/schema.js";
import { CorruptingRelay, ModbusPeer, ResettingRelay, type RegisterMap } from "../helpers/modbusPeer.js";
import { freePort, waitFor } from "../helpers/ports.js";
import { PtyPair } from "../helpers/socat.js";
import { quietLog, recordingHub } from "../helpers/sinkRecorder.js";

const run = promisify(execFile);
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function modbusSource(config: Record<string, unknown>, rec = recordingHub()) {
  const options = modbusSourceSchema.parse({ id: "bus", type: "modbus", ...config });
  const source = new ModbusSource(options, rec.hub.sinkFor("bus"), quietLog);
  cleanups.push(() => source.stop(), () => rec.hub.stop());
  source.start();
  return { source, rec, last: (channel: string) => rec.values(channel).at(-1) };
}

async function startPeer(peer: ModbusPeer) {
  await peer.start();
  cleanups.push(() => peer.stop());
  return peer;
}

/** What libmodbus (mbpoll, an independent client) reads at 1-based reference `ref`. */
async function mbpoll(port: number, ref: number, type: string, extra: string[] = []): Promise<number> {
  const { stdout } = await run("mbpoll", ["-m", "tcp", "-p", String(port), "-a", "1", "-r", String(ref), "-c", "1", "-t", type, ...extra, "-1", "-q", "127.0.0.1"]);
  const m = /\[\d+\]:\s+(-?[\d.]+)(?: \((-?\d+)\))?/.exec(stdout);
  if (!m) throw new Error(`mbpoll said: ${stdout}`);
  return Number(m[2] ?? m[1]);
}

// Registers written out by hand (not by the code under test): 41.25 is 0x42250000, -100000 is
// 0xFFFE7960, 1234.5 as float64 is 0x40934A00_00000000, -2 as int64 is all FF but the last FE.
const PLC: RegisterMap = {
  units: {
    "1": {
      holding: {
        "0": [215, 65413, 16933, 0, 0, 16933, 65534, 31072, 0x3412, 0x7856, 0x0201],
        "20": [0x4093, 0x4a00, 0, 0, 0xfeff, 0xffff, 0xffff, 0xffff],
        "30": [777],
      },
      input: { "0": [7525] },
      coil: { "2": [1] },
      discrete: { "0": [0, 1] },
    },
  },
};
const PLC_POINTS = [
  { channel: "t.int16", function: "holding", address: 0, scale: 0.1 },
  { channel: "t.neg", function: "holding", address: 1, scale: 0.1 },
  { channel: "t.abcd", function: "holding", address: 2, type: "float32" },
  { channel: "t.cdab", function: "holding", address: 4, type: "float32", wordOrder: "CDAB" },
  { channel: "t.int32", function: "holding", address: 6, type: "int32" },
  { channel: "t.uint32", function: "holding", address: 8, type: "uint32", wordOrder: "BADC" },
  { channel: "t.uint16", function: "holding", address: 10, type: "uint16", wordOrder: "BADC" },
  { channel: "t.float64", function: "holding", address: 20, type: "float64" },
  { channel: "t.int64", function: "holding", address: 24, type: "int64", wordOrder: "DCBA" },
  { channel: "t.modicon", address: "40031" },
  { channel: "t.input", function: "input", address: 0, type: "uint16", scale: 0.01, offset: -50 },
  { channel: "t.coil", function: "coil", address: 2 },
  { channel: "t.discrete", address: "10002" },
];

describe("modbus source against pymodbus over TCP", () => {
  it("decodes every type and word order as mbpoll does, in as few requests as the grouping allows", async () => {
    const port = await freePort();
    const peer = await startPeer(new ModbusPeer({ tcp: port }, PLC));
    const { rec, last } = modbusSource({ transport: "tcp", host: "127.0.0.1", port, interval: "1h", points: PLC_POINTS });
    await waitFor("every point read once", () => PLC_POINTS.every((p) => rec.values(p.channel).length === 1));

    expect(last("t.int16")).toBeCloseTo(21.5, 9);
    expect(last("t.neg")).toBeCloseTo(-12.3, 9);
    expect(last("t.abcd")).toBe(41.25);
    expect(last("t.cdab")).toBe(41.25);
    expect(last("t.int32")).toBe(-100000);
    expect(last("t.uint32")).toBe(0x12345678);
    expect(last("t.uint16")).toBe(0x0102);
    expect(last("t.float64")).toBe(1234.5);
    expect(last("t.int64")).toBe(-2);
    expect(last("t.modicon")).toBe(777);
    expect(last("t.input")).toBeCloseTo(25.25, 9);
    expect(last("t.coil")).toBe(1);
    expect(last("t.discrete")).toBe(1);
    expect(rec.source("bus")!.status).toEqual({ state: "up", detail: `127.0.0.1:${port}, unit 1` });
    expect(rec.source("bus")!.rejects).toBe(0);

    // holding 0–10 in one request, 20–30 in another (the hole 11–19 is wider than maxGap 8), then input, coil, discrete.
    expect(await peer.requests()).toEqual({ "1": 5 });

    // libmodbus, independently: 1-based references, CDAB is its default float order, -B is ABCD.
    expect((await mbpoll(port, 1, "4")) / 10).toBe(last("t.int16"));
    expect((await mbpoll(port, 2, "4")) / 10).toBe(last("t.neg"));
    expect(await mbpoll(port, 3, "4:float", ["-B"])).toBe(last("t.abcd"));
    expect(await mbpoll(port, 5, "4:float")).toBe(last("t.cdab"));
    expect(await mbpoll(port, 7, "4:int", ["-B"])).toBe(last("t.int32"));
    expect(await mbpoll(port, 31, "4")).toBe(last("t.modicon"));
  });

  it("takes a connection reset for a lost connection, not for a silent device, and reconnects", async () => {
    const target = await freePort();
    await startPeer(new ModbusPeer({ tcp: target }, PLC));
    const relay = new ResettingRelay(target);
    const port = await freePort();
    await relay.listen(port);
    cleanups.push(() => relay.close());
    const rec = recordingHub();
    const details: string[] = [];
    rec.hub.subscribe((e) => void (e.type === "source" && details.push(e.source.status.detail ?? "")));
    // A timeout long enough that pymodbus under a loaded machine is never taken for silent (CI once saw 200 ms pass),
    // short enough that a reset taken for silence would show as "no answer" before the bus is down.
    modbusSource({ transport: "tcp", host: "127.0.0.1", port, interval: "20ms", timeout: "1s", retries: 0, points: PLC_POINTS.slice(0, 1) }, rec);
    await waitFor("readings", () => rec.values("t.int16").length >= 3);

    relay.reset();
    await waitFor("down", () => rec.source("bus")?.status.state === "down", 3000);
    expect(rec.source("bus")!.status.detail).toBe(`127.0.0.1:${port}: connection closed`);
    const count = rec.values("t.int16").length;
    await waitFor("reconnected and read again", () => rec.values("t.int16").length > count + 3, 5000);
    expect(details.filter((d) => d.includes("no answer"))).toEqual([]);
  });

  it("reads a device that refuses reads across unused registers in parts, and isolates a point that is not there", async () => {
    const port = await freePort();
    const peer = await startPeer(new ModbusPeer({ tcp: port }, { sparse: true, units: { "1": { holding: { "0": [215, 216], "5": [0x4225, 0] } } } }));
    const { rec } = modbusSource({
      transport: "tcp",
      host: "127.0.0.1",
      port,
      interval: "100ms",
      points: [
        { channel: "a", function: "holding", address: 0, scale: 0.1 },
        { channel: "b", function: "holding", address: 1, scale: 0.1 },
        { channel: "c", function: "holding", address: 5, type: "float32" },
        { channel: "missing", function: "holding", address: 8 },
      ],
    });
    await waitFor("readings of every point that exists", () => ["a", "b", "c"].every((c) => rec.values(c).length >= 3));
    expect([rec.values("a").at(-1), rec.values("b").at(-1), rec.values("c").at(-1)]).toEqual([21.5, 21.6, 41.25]);
    expect(rec.values("missing")).toEqual([]);
    expect(rec.source("bus")!.status).toEqual({ state: "down", detail: "unit 1 holding 8: Modbus exception 2: Illegal data address (register not supported by device)" });
    // 0–8 is refused; its touching runs 0–1, 5–6 and 8 are then read apart, and only 8 keeps failing.
    const before = (await peer.requests())["1"];
    await new Promise((r) => setTimeout(r, 500));
    expect((await peer.requests())["1"] - before).toBeGreaterThanOrEqual(6);
  });

  it("shows the source down while the server is gone, channels stale, and comes back by itself", async () => {
    const port = await freePort();
    const peer = await startPeer(new ModbusPeer({ tcp: port }, PLC));
    // staleAfter is long: the channels go stale because the bus is lost, not because time passed.
    const { rec } = modbusSource({ transport: "tcp", host: "127.0.0.1", port, interval: "100ms", timeout: "200ms", staleAfter: "1m", points: PLC_POINTS.slice(0, 3) });
    await waitFor("readings", () => rec.values("t.abcd").length >= 3);

    await peer.stop();
    await waitFor("down", () => rec.source("bus")?.status.state === "down", 3000);
    expect(rec.source("bus")!.status.detail).toMatch(new RegExp(`127.0.0.1:${port}: (connection closed|connection refused)`));
    await waitFor("stale", () => rec.channel("t.abcd")?.stale, 3000);

    await peer.start();
    await peer.command("set 1 holding 2 16968 0"); // 50.0: 0x42480000
    await waitFor("up again", () => rec.source("bus")?.status.state === "up", 15_000);
    await waitFor("fresh value", () => rec.values("t.abcd").at(-1) === 50);
    expect(rec.channel("t.abcd")!.stale).toBe(false);
  });
});

describe("modbus source against pymodbus over RTU on a tty pair", () => {
  const RTU: RegisterMap = { units: { "1": { input: { "0": [215, 220] } }, "3": { holding: { "0": [0, 16933] } } } };
  const points = [
    { channel: "pt100.a", unitId: 1, function: "input", address: 0, scale: 0.1 },
    { channel: "pt100.b", unitId: 1, function: "input", address: 1, scale: 0.1 },
    { channel: "plc.oil", unitId: 3, function: "holding", address: 0, type: "float32", wordOrder: "CDAB" },
  ];

  it("polls several units one request at a time; a silent unit shows down with the reason and recovers", async () => {
    const pair = new PtyPair();
    await pair.start();
    cleanups.push(() => pair.unplug());
    const peer = await startPeer(new ModbusPeer({ rtu: pair.board, baud: 19200 }, RTU));
    const rec = recordingHub();
    const states: string[] = [];
    rec.hub.subscribe((e) => void (e.type === "source" && states.push(e.source.status.state)));
    // staleAfter is long: unit 3's channel goes stale because it stopped answering, at once.
    modbusSource({ transport: "rtu", path: pair.device, baudRate: 19200, interval: "50ms", timeout: "300ms", retries: 0, staleAfter: "1m", points }, rec);
    await waitFor("both units read", () => rec.values("plc.oil").length >= 10 && rec.values("pt100.b").length >= 10, 5000);
    // Two requests every 50 ms on one line: overlapping ones would collide, time out and show the source down.
    expect(states).not.toContain("down");
    expect(rec.source("bus")!.rejects).toBe(0);
    expect(rec.values("plc.oil").at(-1)).toBe(41.25);
    expect(rec.values("pt100.a").at(-1)).toBeCloseTo(21.5, 9);

    await peer.command("mute 3");
    const muted = Date.now();
    await waitFor("unit 3 down", () => rec.source("bus")?.status.state === "down", 3000);
    expect(Date.now() - muted).toBeLessThan(1500);
    expect(rec.source("bus")!.status.detail).toBe("unit 3: no answer within 300 ms");
    await waitFor("unit 3's channel stale", () => rec.channel("plc.oil")?.stale, 500);
    const before = rec.values("pt100.a").length;
    await waitFor("unit 1 still read", () => rec.values("pt100.a").length > before + 5);
    expect(rec.channel("pt100.a")!.stale).toBe(false);

    await peer.command("unmute 3");
    await waitFor("up again", () => rec.source("bus")?.status.state === "up", 15_000);
    await waitFor("unit 3 fresh", () => rec.channel("plc.oil")?.stale === false, 3000);
  });

  it("counts a corrupted reply as a reject and goes on with the next poll", async () => {
    const toGateway = new PtyPair();
    const toDevice = new PtyPair();
    await toGateway.start();
    await toDevice.start();
    cleanups.push(() => toGateway.unplug(), () => toDevice.unplug());
    const relay = new CorruptingRelay(toGateway.board, toDevice.device);
    await relay.open();
    cleanups.push(() => relay.close());
    await startPeer(new ModbusPeer({ rtu: toDevice.board }, RTU));
    const { rec } = modbusSource({ transport: "rtu", path: toGateway.device, interval: "100ms", retries: 0, points: points.slice(0, 2) });
    await waitFor("readings", () => rec.values("pt100.a").length >= 2);
    expect(rec.source("bus")!.rejects).toBe(0);

    relay.corruptNextReplies(1);
    await waitFor("the CRC error counted", () => rec.source("bus")!.rejects === 1, 3000);
    expect(rec.source("bus")!.lastReject).toBe("unit 1 input 0–1: CRC error");
    const after = rec.values("pt100.a").length;
    await waitFor("readings go on", () => rec.values("pt100.a").length >= after + 3);
    expect(rec.source("bus")!.status.state).toBe("up");
    expect(new Set(rec.values("pt100.a").map((v) => v.toFixed(1)))).toEqual(new Set(["21.5"]));
  });

  it("reopens the port with backoff after an unplug and when the adapter is missing at start", async () => {
    const pair = new PtyPair();
    const { rec } = modbusSource({ transport: "rtu", path: pair.device, interval: "100ms", staleAfter: "1s", points: points.slice(0, 1) });
    await waitFor("down: adapter missing", () => rec.source("bus")?.status.state === "down");
    expect(rec.source("bus")!.status.detail).toMatch(/not found: is the board plugged in\?/);

    await pair.start();
    cleanups.push(() => pair.unplug());
    let peer = await startPeer(new ModbusPeer({ rtu: pair.board }, RTU));
    await waitFor("readings once it appears", () => rec.values("pt100.a").length >= 2, 15_000);

    await peer.stop();
    await pair.unplug();
    await waitFor("down after unplug", () => rec.source("bus")?.status.state === "down", 3000);
    await waitFor("stale", () => rec.channel("pt100.a")?.stale, 3000);

    await pair.start();
    peer = await startPeer(new ModbusPeer({ rtu: pair.board }, RTU));
    await waitFor("up after replug", () => rec.source("bus")?.status.state === "up", 15_000);
    await waitFor("fresh after replug", () => rec.channel("pt100.a")?.stale === false, 5000);
  });
});

describe("doctor's modbus check", () => {
  it("reads each point once and gives its value or the exact error", async () => {
    const port = await freePort();
    await startPeer(new ModbusPeer({ tcp: port }, { size: 50, units: PLC.units }));
    const options = modbusSourceSchema.parse({
      id: "plc",
      type: "modbus",
      transport: "tcp",
      host: "127.0.0.1",
      port,
      timeout: "300ms",
      points: [PLC_POINTS[2], { channel: "t.beyond", function: "holding", address: 60 }, { channel: "t.silent", unitId: 9, function: "holding", address: 0 }],
    });
    const findings = await checkModbus(options, quietLog);
    expect(findings.map((f) => [f.mark, f.text])).toEqual([
      ["ok", "plc: unit 1 holding 2 (40003) float32 ABCD → t.abcd = 41.25 °C"],
      ["fail", "plc: unit 1 holding 60 (40061) int16 → t.beyond: Modbus exception 2: Illegal data address (register not supported by device)"],
      ["fail", "plc: unit 9 holding 0 (40001) int16 → t.silent: no answer within 300 ms"],
    ]);
    const closed = await checkModbus({ ...options, port: await freePort() }, quietLog);
    expect(closed).toEqual([expect.objectContaining({ mark: "fail", text: expect.stringMatching(/^plc: 127.0.0.1:\d+: connection refused/) })]);
  });
});
