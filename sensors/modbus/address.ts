export const FUNCTIONS = ["holding", "input", "coil", "discrete"] as const;
export type ModbusFunction = (typeof FUNCTIONS)[number];

/** Coils and discrete inputs are single bits; holding and input registers are 16-bit words. */
export function isBitFunction(f: ModbusFunction): boolean {
  return f === "coil" || f === "discrete";
}

/** The leading digit of the 40001 ("Modicon") notation names the table. */
const TABLE_DIGIT: Record<string, ModbusFunction> = { "0": "coil", "1": "discrete", "3": "input", "4": "holding" };
const DIGIT_OF: Record<ModbusFunction, string> = { coil: "0", discrete: "1", input: "3", holding: "4" };

export type Located = { function: ModbusFunction; address: number };

/**
 * Reads a register number written in the 40001 notation that device manuals use: the first digit
 * is the table (0 coil, 1 discrete input, 3 input register, 4 holding register), the rest counts
 * from 1. Five digits reach 9999 ("40001" → holding 0, "30010" → input 9); six digits reach 65536
 * ("400001" → holding 0, "465536" → holding 65535).
 */
export function parseModiconAddress(text: string): Located | { error: string } {
  const m = /^([0134])(\d{4,5})$/.exec(text.trim());
  const number = m ? Number(m[2]) : 0;
  if (!m || number < 1 || number > (m[2].length === 4 ? 9999 : 65536)) {
    return { error: `expected a 0-based address 0…65535 (a number), or the register number in the 40001 notation as a string, e.g. "40001" (holding register 0) or "300010" (input register 9); got "${text}"` };
  }
  return { function: TABLE_DIGIT[m[1]], address: number - 1 };
}

/** The 40001-notation name of a 0-based address, for messages: holding 0 → "40001". */
export function modiconName(located: Located): string {
  const n = located.address + 1;
  return `${DIGIT_OF[located.function]}${String(n).padStart(n > 9999 ? 5 : 4, "0")}`;
}
