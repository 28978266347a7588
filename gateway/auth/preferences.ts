import { z } from "zod";

/**
 * How a user wants the dashboard to show things, kept with the user on the gateway so it follows
 * them from tablet to tablet. A closed set of keys with closed values: a stored record is bounded.
 */
export const preferencesSchema = z
  .object({
    /** Temperatures in °C (as stored) or °F; only channels whose unit is °C are converted. */
    temperatureUnit: z.enum(["C", "F"]),
  })
  .strict();
export type Preferences = z.infer<typeof preferencesSchema>;

export const DEFAULT_PREFERENCES: Preferences = { temperatureUnit: "C" };

/** A change names only the preferences it sets. */
export const preferencesPatchSchema = preferencesSchema.partial().strict();
