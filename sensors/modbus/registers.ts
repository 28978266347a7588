export const REGISTER_TYPES = ["int16", "uint16", "int32", "uint32", "float32", "int64", "uint64", "float64"] as const;
export type RegisterType = (typeof REGISTER_TYPES)[number];

/**
 * How a value's bytes sit in its registers, A being the most significant byte: ABCD is Modbus's
 * own big-endian order, CDAB swaps the words (low word first), BADC swaps the bytes in each word,
 * DCBA does both. For 64-bit values the same names mean the same swaps over four registers
 * (CDAB: registers in reverse order).
 */
export const WORD_ORDERS = ["ABCD", "CDAB", "BADC", "DCBA"] as const;
export type WordOrder = (typeof WORD_ORDERS)[number];

export function registerCount(type: RegisterType): number {
  return type.endsWith("16") ? 1 : type.endsWith("32") ? 2 : 4;
}

/** The value's bytes, most significant first, from registers as they arrived (each a uint16). */
function bigEndianBytes(registers: readonly number[], order: WordOrder): Buffer {
  const words = order === "CDAB" || order === "DCBA" ? [...registers].reverse() : registers;
  const swapBytes = order === "BADC" || order === "DCBA";
  const bytes = Buffer.alloc(words.length * 2);
  words.forEach((w, i) => bytes.writeUInt16BE(swapBytes ? ((w & 0xff) << 8) | (w >> 8) : w, i * 2));
  return bytes;
}

/**
 * Decodes one value from exactly registerCount(type) registers. 64-bit integers beyond 2^53 lose
 * precision (a reading is a JavaScript number).
 */
export function decodeRegisters(registers: readonly number[], type: RegisterType, order: WordOrder): number {
  if (registers.length !== registerCount(type)) throw new RangeError(`${type} needs ${registerCount(type)} register(s), got ${registers.length}`);
  const b = bigEndianBytes(registers, order);
  switch (type) {
    case "int16":
      return b.readInt16BE(0);
    case "uint16":
      return b.readUInt16BE(0);
    case "int32":
      return b.readInt32BE(0);
    case "uint32":
      return b.readUInt32BE(0);
    case "float32":
      return b.readFloatBE(0);
    case "int64":
      return Number(b.readBigInt64BE(0));
    case "uint64":
      return Number(b.readBigUInt64BE(0));
    case "float64":
      return b.readDoubleBE(0);
  }
}
