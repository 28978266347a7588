import { z } from "zod";
import { durationSchema } from "../../common/durations.js";
import { channelIdSchema, sourceIdSchema, valueFields } from "../common/schemas.js";
import { FUNCTIONS, isBitFunction, modiconName, parseModiconAddress, type ModbusFunction } from "./address.js";
import { REGISTER_TYPES, registerCount, WORD_ORDERS, type RegisterType } from "./registers.js";

export const MODBUS_BAUD_RATES = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200] as const;

const pointSchema = z
  .object({
    channel: channelIdSchema,
    ...valueFields,
    /** Engineering unit; "°C" for registers and none for bits unless given. */
    unit: z.string().max(16).optional(),
    unitId: z.number().int().min(0).max(255).optional(),
    function: z.enum(FUNCTIONS).optional(),
    /** 0-based as on the wire, or a string in the 40001 notation (which implies the function). */
    address: z.union([z.number().int().min(0).max(65535), z.string()], { error: 'expected a 0-based address 0…65535 or a string such as "40001"' }),
    type: z.enum(REGISTER_TYPES).optional(),
    wordOrder: z.enum(WORD_ORDERS).optional(),
    interval: durationSchema.optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.min !== undefined && p.max !== undefined && p.min >= p.max) ctx.addIssue({ code: "custom", path: ["max"], message: "min must be less than max" });
    let located: { function: ModbusFunction; address: number } | undefined;
    if (typeof p.address === "string") {
      const parsed = parseModiconAddress(p.address);
      if ("error" in parsed) return void ctx.addIssue({ code: "custom", path: ["address"], message: parsed.error });
      if (p.function && p.function !== parsed.function) {
        return void ctx.addIssue({ code: "custom", path: ["function"], message: `"${p.address}" is a ${parsed.function} address in the 40001 notation, not ${p.function}; leave function out or write the 0-based address as a number` });
      }
      located = parsed;
    } else if (!p.function) {
      return void ctx.addIssue({
        code: "custom",
        path: ["function"],
        message: `required with a 0-based address: one of holding, input, coil, discrete${p.address > 9999 ? ` (if ${p.address} is the register's number in the 40001 notation, write it as a string: "${p.address}")` : ""}`,
      });
    } else located = { function: p.function, address: p.address };
    if (isBitFunction(located.function)) {
      if (p.type) ctx.addIssue({ code: "custom", path: ["type"], message: `a ${located.function} is a single bit: it has no type` });
      if (p.wordOrder) ctx.addIssue({ code: "custom", path: ["wordOrder"], message: `a ${located.function} is a single bit: it has no word order` });
      return;
    }
    const type = p.type ?? "int16";
    const count = registerCount(type);
    if (located.address + count > 65536) {
      ctx.addIssue({ code: "custom", path: ["address"], message: `a ${type} needs ${count} registers: it cannot start at ${located.address} (the last register is 65535)` });
    }
    if (count === 1 && (p.wordOrder === "CDAB" || p.wordOrder === "DCBA")) {
      ctx.addIssue({ code: "custom", path: ["wordOrder"], message: `${/^[aeiu]/.test(type) ? "an" : "a"} ${type} is one register: it has no words to swap (ABCD as sent, or BADC for its bytes swapped)` });
    }
  });

const bus = {
  transport: z.enum(["rtu", "tcp"]),
  /** rtu: prefer /dev/serial/by-id/…, which survives replugging. */
  path: z.string().regex(/^\/[A-Za-z0-9_./:+@-]+$/, "expected an absolute device path such as /dev/serial/by-id/usb-…").optional(),
  baudRate: z.literal(MODBUS_BAUD_RATES, { error: "expected one of 1200…115200" }).optional(),
  parity: z.enum(["none", "even", "odd"]).optional(),
  dataBits: z.union([z.literal(7), z.literal(8)]).optional(),
  stopBits: z.union([z.literal(1), z.literal(2)]).optional(),
  host: z.string().min(1).max(253).optional(),
  port: z.number().int().min(1).max(65535).optional(),
};
const RTU_KEYS = ["path", "baudRate", "parity", "dataBits", "stopBits"] as const;
const TCP_KEYS = ["host", "port"] as const;

export const modbusSourceSchema = z
  .object({
    id: sourceIdSchema,
    type: z.literal("modbus"),
    ...bus,
    /** Defaults for points that do not say. */
    unitId: z.number().int().min(0).max(255).default(1),
    interval: durationSchema.default(1000),
    wordOrder: z.enum(WORD_ORDERS).default("ABCD"),
    /** Per request: how long to wait for the answer, and how often to ask again after a timeout or a corrupted reply. */
    timeout: durationSchema.default(500),
    retries: z.number().int().min(0).max(5).default(1),
    maxGap: z.number().int().min(0).max(100).default(8),
    maxRegisters: z.number().int().min(4).max(125).default(125),
    maxBits: z.number().int().min(1).max(2000).default(2000),
    /** A channel with no reading for this long is stale; by default the longer of 10 s and three poll intervals. */
    staleAfter: durationSchema.optional(),
    points: z.array(pointSchema).min(1),
  })
  .strict()
  .superRefine((s, ctx) => {
    const [needed, foreign] = s.transport === "rtu" ? [["path"], TCP_KEYS] : [["host"], RTU_KEYS];
    for (const key of needed) if (s[key as "path" | "host"] === undefined) ctx.addIssue({ code: "custom", path: [key], message: `required with transport: ${s.transport}` });
    for (const key of foreign) if (s[key] !== undefined) ctx.addIssue({ code: "custom", path: [key], message: `only for transport: ${s.transport === "rtu" ? "tcp" : "rtu"}` });
    if (s.timeout < 10) ctx.addIssue({ code: "custom", path: ["timeout"], message: "expected at least 10ms" });
    const seen = new Map<string, number>();
    s.points.forEach((p, i) => {
      const first = seen.get(p.channel);
      if (first !== undefined) ctx.addIssue({ code: "custom", path: ["points", i, "channel"], message: `duplicate channel "${p.channel}" (also points[${first}].channel)` });
      else seen.set(p.channel, i);
      const interval = p.interval ?? s.interval;
      if (interval < 10) ctx.addIssue({ code: "custom", path: ["points", i, "interval"], message: "expected a poll interval of at least 10ms" });
      if (s.staleAfter !== undefined && s.staleAfter <= interval) {
        ctx.addIssue({ code: "custom", path: ["staleAfter"], message: `must be longer than the poll interval of points[${i}] (${interval} ms), or its channel goes stale between polls` });
      }
    });
  });

export type ModbusSourceOptions = z.output<typeof modbusSourceSchema>;
export type ModbusPoint = ReturnType<typeof resolvePoint>;

/**
 * The validated points with every default filled in and their addresses in the tables they
 * belong to. (A transform in the schema would do it, but a kind's schema must stay an object.)
 */
export function resolvePoints(s: ModbusSourceOptions): ModbusPoint[] {
  return s.points.map((p) => resolvePoint(p, s));
}

function resolvePoint(p: z.output<typeof pointSchema>, s: ModbusSourceOptions) {
  const located = typeof p.address === "string" ? (parseModiconAddress(p.address) as { function: ModbusFunction; address: number }) : { function: p.function!, address: p.address };
  const bit = isBitFunction(located.function);
  const type: RegisterType | undefined = bit ? undefined : (p.type ?? "int16");
  const interval = p.interval ?? s.interval;
  return {
    channel: p.channel,
    name: p.name,
    unit: p.unit ?? (bit ? "" : "°C"),
    scale: p.scale,
    offset: p.offset,
    min: p.min,
    max: p.max,
    group: p.group,
    decimals: p.decimals,
    unitId: p.unitId ?? s.unitId,
    function: located.function,
    address: located.address,
    type,
    wordOrder: p.wordOrder ?? s.wordOrder,
    count: type ? registerCount(type) : 1,
    interval,
    staleAfter: s.staleAfter ?? Math.max(10_000, 3 * interval + (s.retries + 1) * s.timeout),
    /** How messages name it: "unit 1 holding 0 (40001)". */
    label: `unit ${p.unitId ?? s.unitId} ${located.function} ${located.address} (${modiconName(located)})`,
  };
}
