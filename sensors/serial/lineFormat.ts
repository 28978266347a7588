import { z } from "zod";
import { parseStrictNumber } from "../common/numbers.js";
import type { FieldSpec } from "../common/schemas.js";

export const lineFormatSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("json") }).strict(),
  z.object({ type: z.literal("kv") }).strict(),
  z
    .object({
      type: z.literal("csv"),
      delimiter: z.enum([",", ";", "\t", " "]).default(","),
      /** Column names; when absent, the device's header line names the columns. */
      columns: z.array(z.string().min(1)).min(1).optional(),
    })
    .strict(),
]);
export type LineFormat = z.output<typeof lineFormatSchema>;

export type FieldValue = { field: string; value: number };
export type LineResult =
  | { kind: "values"; values: FieldValue[] }
  | { kind: "header"; columns: string[] }
  | { kind: "empty" }
  | { kind: "reject"; reason: string };

/** Turns one text line into raw field values. Never throws. */
export interface LineParser {
  parse(line: string): LineResult;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_.\-]*$/;
const reject = (reason: string): LineResult => ({ kind: "reject", reason });

/** Applies scale/offset and plausibility limits; a single bad mapped field rejects the whole line. */
export function mapFields(
  values: FieldValue[],
  fields: Record<string, FieldSpec>,
): { ok: true; readings: Array<{ spec: FieldSpec; value: number }> } | { ok: false; reason: string } {
  const readings: Array<{ spec: FieldSpec; value: number }> = [];
  for (const { field, value } of values) {
    const spec = fields[field];
    if (!spec) continue;
    const scaled = value * spec.scale + spec.offset;
    if ((spec.min !== undefined && scaled < spec.min) || (spec.max !== undefined && scaled > spec.max)) {
      return { ok: false, reason: `field "${field}" value ${scaled} outside [${spec.min ?? "-∞"}, ${spec.max ?? "∞"}]` };
    }
    readings.push({ spec, value: scaled });
  }
  if (readings.length === 0) return { ok: false, reason: "no configured field in line" };
  return { ok: true, readings };
}

class JsonLineParser implements LineParser {
  parse(line: string): LineResult {
    const text = line.trim();
    if (text === "") return { kind: "empty" };
    if (!text.startsWith("{")) return reject("not a JSON object");
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return reject("invalid JSON");
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return reject("not a JSON object");
    const values: FieldValue[] = [];
    for (const [field, raw] of Object.entries(parsed)) {
      if (typeof raw === "number") {
        if (!Number.isFinite(raw)) return reject(`field "${field}" is not a finite number`);
        values.push({ field, value: raw });
      } else if (typeof raw === "string") {
        const value = parseStrictNumber(raw);
        if (value === undefined) values.push({ field, value: Number.NaN });
        else values.push({ field, value });
      }
    }
    return { kind: "values", values };
  }
}

class KeyValueLineParser implements LineParser {
  parse(line: string): LineResult {
    const text = line.trim();
    if (text === "") return { kind: "empty" };
    const values: FieldValue[] = [];
    for (const token of text.split(/[\s,;]+/)) {
      const m = /^([A-Za-z_][A-Za-z0-9_.\-]*)[=:](.*)$/.exec(token);
      if (!m) return reject(`token "${token.slice(0, 40)}" is not key=value`);
      const value = parseStrictNumber(m[2]);
      if (value === undefined) return reject(`field "${m[1]}" value "${m[2].slice(0, 40)}" is not a number`);
      values.push({ field: m[1], value });
    }
    return { kind: "values", values };
  }
}

class CsvLineParser implements LineParser {
  private columns: string[] | undefined;

  constructor(
    private readonly delimiter: string,
    private readonly fixedColumns: string[] | undefined,
  ) {
    this.columns = fixedColumns;
  }

  parse(line: string): LineResult {
    const text = line.trim();
    if (text === "") return { kind: "empty" };
    const cells = text.split(this.delimiter).map((c) => c.trim());
    const numbers = cells.map(parseStrictNumber);
    if (numbers.every((n) => n === undefined)) {
      // A device prints its header after every reset; accept it as the new column list.
      if (!this.fixedColumns && cells.every((c) => IDENT.test(c)) && new Set(cells).size === cells.length) {
        this.columns = cells;
        return { kind: "header", columns: cells };
      }
      if (this.fixedColumns && cells.join() === this.fixedColumns.join()) return { kind: "header", columns: cells };
      return reject("no numeric cell in line");
    }
    if (!this.columns) return reject("data line before the CSV header");
    if (cells.length !== this.columns.length) {
      return reject(`expected ${this.columns.length} cells, got ${cells.length}`);
    }
    const values: FieldValue[] = [];
    for (let i = 0; i < cells.length; i++) {
      const value = numbers[i];
      values.push({ field: this.columns[i], value: value === undefined ? Number.NaN : value });
    }
    return { kind: "values", values };
  }
}

/**
 * Non-numeric cells are passed on as NaN so that mapFields can reject the line when the cell
 * belongs to a configured field, while unmapped text columns (a status word) are ignored.
 */
function rejectNaNMapped(result: LineResult, fields: Record<string, FieldSpec>): LineResult {
  if (result.kind !== "values") return result;
  for (const { field, value } of result.values) {
    if (Number.isNaN(value) && fields[field]) return reject(`field "${field}" is not a number`);
  }
  return { kind: "values", values: result.values.filter((v) => !Number.isNaN(v.value)) };
}

export function createLineParser(format: LineFormat, fields: Record<string, FieldSpec>): LineParser {
  const inner: LineParser =
    format.type === "json"
      ? new JsonLineParser()
      : format.type === "kv"
        ? new KeyValueLineParser()
        : new CsvLineParser(format.delimiter, format.columns);
  return { parse: (line) => rejectNaNMapped(inner.parse(line), fields) };
}
