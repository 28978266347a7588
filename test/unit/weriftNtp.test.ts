import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import * as esm from "werift";

const { uint32Add } = esm;
// The gateway imports the ES module build; require("werift") loads the CommonJS one, patched alike.
const builds = { "ES module": esm, CommonJS: createRequire(import.meta.url)("werift") as typeof esm };

// werift patch 004: NTP timestamps in the RFC 5905 format (32 bits of seconds since 1900, 32 bits
// of binary fraction) and 32-bit sums without BigInt, both on every RTP packet the gateway sends.
describe("werift's NTP time (patch 004)", () => {
  it.each(Object.entries(builds))("is the wall-clock time, with the fraction of a second in units of 2^-32 s (%s build)", (_, { ntpTime, ntpTimeToEpochMs }) => {
    const before = Date.now();
    const ntp = ntpTime();
    const after = Date.now();
    // Decoded by the RFC, not by werift: published werift 0.25.2 put the decimal digits of the
    // fraction there (0.25 s became 25), which this reads as about nothing.
    const ms = (Number(ntp >> 32n) - 2_208_988_800) * 1000 + (Number(ntp & 0xffffffffn) / 2 ** 32) * 1000;
    expect(ms).toBeGreaterThanOrEqual(before - 1);
    expect(ms).toBeLessThanOrEqual(after + 1);
    expect(ntpTimeToEpochMs(ntp)).toBeCloseTo(ms, 3);
  });

  it.each(Object.entries(builds))("reads a report's timestamp as a receiver must (%s build)", (_, { ntpTime2Sec, ntpTimeToEpochMs }) => {
    // 1 January 1970 plus half a second, as a browser's sender report would carry it.
    const halfPastEpoch = (2_208_988_800n << 32n) | 0x80000000n;
    expect(ntpTime2Sec(halfPastEpoch)).toBe(2_208_988_800.5);
    expect(ntpTimeToEpochMs(halfPastEpoch)).toBe(500);
  });

  it("adds modulo 2^32 as the BigInt version did, negative steps included", () => {
    const reference = (a: number, b: number) => Number((BigInt(a) + BigInt(b)) & 0xffffffffn);
    const cases: Array<[number, number]> = [[0, 0], [2 ** 32 - 1, 1], [2 ** 32 - 1, 2 ** 32 - 1], [5, -7], [0, -(2 ** 32 - 1)], [123_456_789, 3_000_000_000]];
    for (let i = 0; i < 1000; i++) cases.push([Math.floor(Math.random() * 2 ** 32), Math.floor(Math.random() * 2 ** 33) - 2 ** 32]);
    for (const [a, b] of cases) {
      expect(uint32Add(a, b)).toBe(reference(a, b));
      expect(builds.CommonJS.uint32Add(a, b)).toBe(reference(a, b));
    }
  });
});
