import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../gateway/config/load.js";
import { modiconName, parseModiconAddress } from "../../sensors/modbus/address.js";
import { modbusSourceSchema, resolvePoints } from "../../sensors/modbus/schema.js";

function problems(source: string): string[] {
  try {
    parseConfig(`sources:\n  - id: bus\n    type: modbus\n${source.replace(/^/gm, "    ")}\n`, "test.yaml", {});
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}
const tcp = (points: string, extra = "") => problems(`transport: tcp\nhost: 127.0.0.1\n${extra}points:\n${points}`);
const resolve = (config: object) => resolvePoints(modbusSourceSchema.parse({ id: "bus", type: "modbus", transport: "tcp", host: "plc", ...config }));

describe("the 40001 address notation", () => {
  it.each([
    ["40001", "holding", 0],
    ["40010", "holding", 9],
    ["30001", "input", 0],
    ["00017", "coil", 16],
    ["10001", "discrete", 0],
    ["49999", "holding", 9998],
    ["400001", "holding", 0],
    ["465536", "holding", 65535],
    ["300100", "input", 99],
  ])("%s is %s %d", (text, fn, address) => {
    expect(parseModiconAddress(text)).toEqual({ function: fn, address });
    expect(parseModiconAddress(modiconName({ function: fn as "holding", address }))).toEqual({ function: fn, address });
  });

  it.each(["40000", "50001", "4001", "465537", "4000001", "x40001", "400000"])("refuses %s", (text) => {
    expect(parseModiconAddress(text)).toHaveProperty("error");
  });
});

describe("modbus configuration", () => {
  it("fills in defaults and maps addresses to their tables", () => {
    const [a, b, c] = resolve({
      interval: "2s",
      wordOrder: "CDAB",
      points: [
        { channel: "a", address: "40003", type: "float32" },
        { channel: "b", function: "coil", address: 7, unitId: 4, interval: "20s" },
        { channel: "c", function: "input", address: 0, wordOrder: "ABCD" },
      ],
    });
    expect(a).toMatchObject({ function: "holding", address: 2, count: 2, type: "float32", wordOrder: "CDAB", unitId: 1, interval: 2000, unit: "°C", staleAfter: 10_000, label: "unit 1 holding 2 (40003)" });
    expect(b).toMatchObject({ function: "coil", address: 7, count: 1, type: undefined, unitId: 4, interval: 20_000, unit: "", staleAfter: 61_000, label: "unit 4 coil 7 (00008)" });
    expect(c).toMatchObject({ type: "int16", wordOrder: "ABCD" });
  });

  it("names each mistake by its key", () => {
    expect(tcp("  - { channel: a, address: 40001 }")).toEqual([
      'sources[0].points[0].function: required with a 0-based address: one of holding, input, coil, discrete (if 40001 is the register\'s number in the 40001 notation, write it as a string: "40001")',
    ]);
    expect(tcp('  - { channel: a, address: "40001", function: input }')).toEqual([
      'sources[0].points[0].function: "40001" is a holding address in the 40001 notation, not input; leave function out or write the 0-based address as a number',
    ]);
    expect(tcp('  - { channel: a, address: "50001" }')[0]).toMatch(/^sources\[0\]\.points\[0\]\.address: expected a 0-based address 0…65535 \(a number\), or the register number in the 40001 notation as a string/);
    expect(tcp("  - { channel: a, function: holding, address: 65535, type: float32 }")).toEqual([
      "sources[0].points[0].address: a float32 needs 2 registers: it cannot start at 65535 (the last register is 65535)",
    ]);
    expect(tcp("  - { channel: a, function: coil, address: 1, wordOrder: CDAB, type: int16 }")).toEqual([
      "sources[0].points[0].type: a coil is a single bit: it has no type",
      "sources[0].points[0].wordOrder: a coil is a single bit: it has no word order",
    ]);
    expect(tcp("  - { channel: a, function: holding, address: 1, wordOrder: CDAB }")).toEqual([
      "sources[0].points[0].wordOrder: an int16 is one register: it has no words to swap (ABCD as sent, or BADC for its bytes swapped)",
    ]);
    expect(tcp("  - { channel: a, function: holding, address: 1 }\n  - { channel: a, function: holding, address: 2 }")).toEqual([
      'sources[0].points[1].channel: duplicate channel "a" (also points[0].channel)',
    ]);
    expect(tcp("  - { channel: a, function: holding, address: 1, interval: 20s }", "staleAfter: 10s\n")).toEqual([
      "sources[0].staleAfter: must be longer than the poll interval of points[0] (20000 ms), or its channel goes stale between polls",
    ]);
    expect(tcp("  - { channel: a, function: holding, adress: 1 }")).toContain('sources[0].points[0].adress: unknown key (did you mean "address"?)');
  });

  it("finds a channel that another source feeds too", () => {
    const yaml = `sources:
  - { id: board, type: serial, path: /dev/ttyACM0, format: { type: kv }, fields: { t: { channel: oven.top } } }
  - { id: bus, type: modbus, transport: tcp, host: plc, points: [{ channel: oven.side, address: "30001" }, { channel: oven.top, address: "30002" }] }
`;
    expect(() => parseConfig(yaml, "t.yaml", {})).toThrow('sources[1].points[1].channel: channel "oven.top" is already fed by sources[0].fields.t');
  });

  it("checks that the bus settings fit the transport", () => {
    expect(problems("transport: rtu\nbaudRate: 19200\nhost: plc\npoints: [{ channel: a, address: \"30001\" }]")).toEqual([
      "sources[0].path: required with transport: rtu",
      "sources[0].host: only for transport: tcp",
    ]);
    expect(problems("transport: tcp\nhost: plc\nparity: even\npoints: [{ channel: a, address: \"30001\" }]")).toEqual(["sources[0].parity: only for transport: rtu"]);
    expect(problems("transport: rtu\npath: /dev/ttyUSB0\nbaudRate: 14400\npoints: [{ channel: a, address: \"30001\" }]")).toEqual(["sources[0].baudRate: expected one of 1200…115200, got 14400"]);
  });
});
