import { z } from "zod";

/** "500ms", "10s", "5m", "1h", "90d" or a number of milliseconds. */
export const durationSchema = z.union([
  z.number().int().nonnegative(),
  z
    .string()
    .regex(/^\d+(?:\.\d+)?(?:ms|s|m|h|d)$/, 'expected a duration such as "500ms", "10s", "5m", "1h" or "90d"')
    .transform((text) => {
      const [, num, unit] = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text)!;
      const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit as "ms" | "s" | "m" | "h" | "d"];
      return Math.round(Number(num) * factor);
    }),
]);
