import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeRegisters, REGISTER_TYPES, WORD_ORDERS, type RegisterType, type WordOrder } from "../../sensors/modbus/registers.js";

/** Where each of the value's big-endian bytes goes, written out per order rather than computed. */
const BYTE_ORDER: Record<number, Record<WordOrder, number[]>> = {
  2: { ABCD: [0, 1], CDAB: [0, 1], BADC: [1, 0], DCBA: [1, 0] },
  4: { ABCD: [0, 1, 2, 3], CDAB: [2, 3, 0, 1], BADC: [1, 0, 3, 2], DCBA: [3, 2, 1, 0] },
  8: { ABCD: [0, 1, 2, 3, 4, 5, 6, 7], CDAB: [6, 7, 4, 5, 2, 3, 0, 1], BADC: [1, 0, 3, 2, 5, 4, 7, 6], DCBA: [7, 6, 5, 4, 3, 2, 1, 0] },
};

/** The registers a device would send for the given big-endian bytes. */
function registersOf(bytes: Uint8Array, order: WordOrder): number[] {
  const sent = BYTE_ORDER[bytes.length][order].map((i) => bytes[i]);
  return Array.from({ length: sent.length / 2 }, (_, i) => (sent[2 * i] << 8) | sent[2 * i + 1]);
}

function bigEndian(type: RegisterType, value: number | bigint): Uint8Array {
  const size = type.endsWith("16") ? 2 : type.endsWith("32") ? 4 : 8;
  const view = new DataView(new ArrayBuffer(size));
  const set = {
    int16: () => view.setInt16(0, Number(value)),
    uint16: () => view.setUint16(0, Number(value)),
    int32: () => view.setInt32(0, Number(value)),
    uint32: () => view.setUint32(0, Number(value)),
    float32: () => view.setFloat32(0, Number(value)),
    int64: () => view.setBigInt64(0, BigInt(value)),
    uint64: () => view.setBigUint64(0, BigInt(value)),
    float64: () => view.setFloat64(0, Number(value)),
  };
  set[type]();
  return new Uint8Array(view.buffer);
}

const values: Record<RegisterType, fc.Arbitrary<number | bigint>> = {
  int16: fc.integer({ min: -32768, max: 32767 }),
  uint16: fc.integer({ min: 0, max: 65535 }),
  int32: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  uint32: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  float32: fc.float({ noNaN: true }),
  int64: fc.bigInt({ min: -(2n ** 53n), max: 2n ** 53n }),
  uint64: fc.bigInt({ min: 0n, max: 2n ** 53n }),
  float64: fc.double({ noNaN: true }),
};

describe("register decoding", () => {
  it("reads the values devices send, per word order", () => {
    // 41.25 is 0x42250000; -100000 is 0xFFFE7960.
    expect(decodeRegisters([0x4225, 0x0000], "float32", "ABCD")).toBe(41.25);
    expect(decodeRegisters([0x0000, 0x4225], "float32", "CDAB")).toBe(41.25);
    expect(decodeRegisters([0x2542, 0x0000], "float32", "BADC")).toBe(41.25);
    expect(decodeRegisters([0x0000, 0x2542], "float32", "DCBA")).toBe(41.25);
    expect(decodeRegisters([0xfffe, 0x7960], "int32", "ABCD")).toBe(-100000);
    expect(decodeRegisters([0x7960, 0xfffe], "int32", "CDAB")).toBe(-100000);
    expect(decodeRegisters([0xff85], "int16", "ABCD")).toBe(-123);
    expect(decodeRegisters([0x85ff], "int16", "BADC")).toBe(-123);
    expect(decodeRegisters([0xff85], "uint16", "ABCD")).toBe(65413);
    expect(decodeRegisters([0xff85], "int16", "CDAB")).toBe(-123); // one register: no words to swap
    expect(decodeRegisters([0x4093, 0x4a00, 0, 0], "float64", "ABCD")).toBe(1234.5);
    expect(decodeRegisters([0, 0, 0x4a00, 0x4093], "float64", "CDAB")).toBe(1234.5);
    expect(decodeRegisters([0xfeff, 0xffff, 0xffff, 0xffff], "int64", "DCBA")).toBe(-2);
    expect(decodeRegisters([0, 0, 0, 1], "uint64", "ABCD")).toBe(1);
    expect(decodeRegisters([0x7fc0, 0], "float32", "ABCD")).toBeNaN();
  });

  it("refuses a wrong number of registers", () => {
    expect(() => decodeRegisters([1], "float32", "ABCD")).toThrow("float32 needs 2 register(s), got 1");
  });

  it.each(REGISTER_TYPES)("%s: decodes what a device encodes, in every word order", (type) => {
    fc.assert(
      fc.property(values[type], fc.constantFrom(...WORD_ORDERS), (value, order) => {
        const decoded = decodeRegisters(registersOf(bigEndian(type, value), order), type, order);
        if (type === "float32") expect(decoded).toBe(Math.fround(Number(value)));
        else expect(decoded).toBe(Number(value));
      }),
    );
  });
});
