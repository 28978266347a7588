import { z } from "zod";
import { durationSchema } from "../../common/durations.js";

const num = z.number().finite();

const above = z
  .object({ above: num, clear: num.optional() })
  .strict()
  .refine((c) => c.clear === undefined || c.clear <= c.above, { message: "clear must be at or below the above threshold", path: ["clear"] });
const below = z
  .object({ below: num, clear: num.optional() })
  .strict()
  .refine((c) => c.clear === undefined || c.clear >= c.below, { message: "clear must be at or above the below threshold", path: ["clear"] });
const rate = z
  .object({
    rate: z
      .object({
        /** Change per `per`, e.g. above: 5, per: 1m means faster than 5 units per minute. */
        above: num.optional(),
        below: num.optional(),
        per: durationSchema.default(60_000),
      })
      .strict()
      .refine((r) => (r.above === undefined) !== (r.below === undefined), "give exactly one of above or below"),
  })
  .strict();
const noData = z.object({ noData: durationSchema }).strict();

export const conditionSchema = z.union([above, below, rate, noData], {
  error: "expected a condition: { above, clear }, { below, clear }, { rate: { above | below, per } } or { noData: duration }",
});
export type Condition = z.output<typeof conditionSchema>;

export const ruleSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "expected a rule id of letters, digits, _ and -"),
    name: z.string().min(1).max(120).optional(),
    /** Channel ids; "*" matches any run of characters, e.g. "mic.*.level_db". */
    channels: z.array(z.string().regex(/^[A-Za-z0-9_.:*-]{1,128}$/, "expected a channel id or a pattern with *")).min(1),
    severity: z.enum(["critical", "warning", "info"]).default("warning"),
    when: z.union([conditionSchema, z.object({ any: z.array(conditionSchema).min(1) }).strict(), z.object({ all: z.array(conditionSchema).min(1) }).strict()]),
    /** How long the condition must hold before the alert fires (pending until then). */
    for: durationSchema.default(0),
    /** How long the condition must be clear before a firing alert resolves. */
    clearFor: durationSchema.default(0),
    labels: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/), z.string().max(200)).default({}),
    /** Text for people; {{value}}, {{channel}}, {{name}} and {{unit}} are filled in. */
    description: z.string().max(500).optional(),
  })
  .strict();
export type Rule = z.output<typeof ruleSchema>;

export const alertsSchema = z
  .object({
    rules: z.array(ruleSchema).default([]),
    /** More than `max` alerts firing within `window` are announced as one flood notification. */
    flood: z.object({ max: z.number().int().min(1).default(10), window: durationSchema.default(600_000) }).strict().default({ max: 10, window: 600_000 }),
    /** Resolved alerts stay listed this long. */
    keepResolved: durationSchema.default(24 * 3_600_000),
  })
  .strict();
export type AlertsConfig = z.output<typeof alertsSchema>;

export function conditionsOf(rule: Rule): { mode: "any" | "all"; conditions: Condition[] } {
  const w = rule.when;
  if ("any" in w) return { mode: "any", conditions: w.any };
  if ("all" in w) return { mode: "all", conditions: w.all };
  return { mode: "any", conditions: [w] };
}

export function matchesChannel(pattern: string, channel: string): boolean {
  if (!pattern.includes("*")) return pattern === channel;
  const re = new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.:+?^${}()|[\]\\-]/g, "\\$&")).join(".*")}$`);
  return re.test(channel);
}
