import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { crc8 } from "../../sensors/onewire/crc8.js";
import { oneWireSchema } from "../../sensors/onewire/schema.js";
import { parseTemperatureFile, parseW1Slave } from "../../sensors/onewire/w1Reading.js";
import { CAPTURED, ds18b20, ds18b20Scratchpad, w1Slave } from "../helpers/w1Fixtures.js";

const bytesOf = (line: string) => line.split(" ").slice(0, 9).map((b) => parseInt(b, 16));

describe("1-Wire CRC-8", () => {
  it("gives the CRC real sensors sent, and the kernel's crc= for a failed read", () => {
    for (const line of [CAPTURED.good, CAPTURED.powerOn]) {
      const bytes = bytesOf(line);
      expect(crc8(bytes, 8)).toBe(bytes[8]);
      expect(crc8(bytes)).toBe(0);
    }
    const noisy = bytesOf(CAPTURED.crcNo);
    expect(crc8(noisy, 8)).toBe(0xc9);
    expect(noisy[8]).not.toBe(0xc9);
  });

  it("catches every single-bit error in a scratchpad", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 8 }), fc.nat(71), (pad, bit) => {
        const bytes = [...pad, crc8(pad)];
        bytes[bit >> 3] ^= 1 << (bit & 7);
        expect(crc8(bytes)).not.toBe(0);
      }),
    );
  });
});

describe("w1_slave", () => {
  it("reads captured and generated lines", () => {
    expect(parseW1Slave(CAPTURED.good, "28")).toEqual({ ok: true, celsius: 23.125 });
    expect(parseW1Slave(ds18b20(-10.125), "28")).toEqual({ ok: true, celsius: -10.125 });
    // A real 85 °C: byte 6 is not the power-on 0x0C.
    expect(parseW1Slave(ds18b20(85), "28")).toEqual({ ok: true, celsius: 85 });
    // DS18S20 (family 10): the kernel's t=, from its own half-degree-plus-count format.
    expect(parseW1Slave(w1Slave([0x2d, 0x00, 0x4b, 0x46, 0xff, 0xff, 0x02, 0x10], 22625), "10")).toEqual({ ok: true, celsius: 22.625 });
  });

  it.each([
    ["CRC NO", CAPTURED.crcNo, /kernel's CRC check failed/],
    ["85 °C power-on", CAPTURED.powerOn, /power-on/],
    ["all-zero", CAPTURED.allZero, /all-zero/],
    ["empty read", "", /empty read/],
    ["garbage", "\u0000\u00ff junk\n", /not the two lines/],
    ["a single line", CAPTURED.good.split("\n")[0], /not the two lines/],
    ["YES with a wrong CRC", w1Slave(ds18b20Scratchpad(21), 21000, "YES", 0x42), /CRC-8 mismatch/],
    ["kernel crc= not the bytes' CRC", CAPTURED.good.replace("crc=57", "crc=58"), /CRC-8 mismatch/],
    ["outside the DS18B20's range", ds18b20(127), /outside the DS18B20's range/],
  ])("rejects %s", (_, text, reason) => {
    const r = parseW1Slave(text, "28");
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(reason);
  });

  it("rejects a MAX31850's thermocouple fault and reads it otherwise", () => {
    // MAX31850: config byte 4 has bit 7 set; fault bit 0 of byte 0; byte 2 bit 0 = open circuit.
    const fault = w1Slave([0x01, 0x00, 0x01, 0x19, 0xf0, 0xff, 0xff, 0xff], 0);
    expect(parseW1Slave(fault, "3b")).toEqual({ ok: false, reason: "MAX31850 thermocouple fault: open circuit" });
    const hot = w1Slave([0x20, 0x2f, 0x00, 0x19, 0xf0, 0xff, 0xff, 0xff], 754000);
    expect(parseW1Slave(hot, "3b")).toEqual({ ok: true, celsius: 754 });
    // The same family code on a DS1825 (bit 7 of byte 4 clear) has the DS18B20's range.
    expect(parseW1Slave(w1Slave([0x20, 0x2f, 0x00, 0x19, 0x70, 0xff, 0xff, 0xff], 754000), "3b")).toMatchObject({ ok: false, reason: expect.stringMatching(/DS1825's range/) });
  });

  it("never accepts a line with a flipped bit, and never throws on junk", () => {
    fc.assert(
      fc.property(fc.integer({ min: -55 * 16, max: 125 * 16 }), fc.nat(), (raw, at) => {
        const good = ds18b20(raw / 16);
        const digits = [...good.matchAll(/[0-9a-f]{2}(?= )/g)].slice(0, 9).map((m) => m.index);
        const i = digits[at % digits.length]! + (at % 2);
        const flipped = good.slice(0, i) + ((parseInt(good[i], 16) ^ (1 << (at % 4))).toString(16)) + good.slice(i + 1);
        expect(parseW1Slave(flipped, "28").ok).toBe(false);
      }),
    );
    fc.assert(fc.property(fc.string(), (s) => void parseW1Slave(s, "28")));
  });
});

describe("temperature file", () => {
  it("reads millidegrees and refuses empty, junk and a bare 85000", () => {
    expect(parseTemperatureFile("23125\n", "28")).toEqual({ ok: true, celsius: 23.125 });
    expect(parseTemperatureFile("-1500\n", "28")).toEqual({ ok: true, celsius: -1.5 });
    expect(parseTemperatureFile("", "28").ok).toBe(false);
    expect(parseTemperatureFile("23.1\n", "28").ok).toBe(false);
    expect(parseTemperatureFile("85000\n", "28").ok).toBe(false);
  });
});

describe("onewire configuration", () => {
  it("takes sensor ids as sysfs names them and refuses two sensors on one channel", () => {
    const ok = oneWireSchema.parse({ id: "w1", type: "onewire", sensors: { "28-00000abcdef1": { channel: "press.bearing", offset: -0.3 } } });
    expect(ok.basePath).toBe("/sys/bus/w1/devices");
    expect(() => oneWireSchema.parse({ id: "w1", type: "onewire", sensors: { "28-00000ABCDEF1": {} } })).toThrow(/w1_therm sensor id/);
    expect(() => oneWireSchema.parse({ id: "w1", type: "onewire", sensors: { "01-00000abcdef1": {} } })).toThrow(/w1_therm sensor id/);
    expect(() => oneWireSchema.parse({ id: "w1", type: "onewire", sensors: {} })).toThrow(/at least one sensor/);
    expect(() =>
      oneWireSchema.parse({ id: "w1", type: "onewire", sensors: { "28-00000abcdef1": { channel: "w1.28-00000abcdef2" }, "28-00000abcdef2": {} } }),
    ).toThrow(/also used by 28-00000abcdef1/);
  });
});
