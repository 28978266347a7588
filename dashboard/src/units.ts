import type { Preferences } from "../../gateway/auth/preferences.js";
import { DEFAULT_DECIMALS, formatValue } from "./format.js";

/** °C or °F, the user's choice (app/state.ts has the signed-in user's). */
export type TemperatureUnit = Preferences["temperatureUnit"];
/** The one unit that is converted: channels in anything else (°F already, K, bar, dB) are shown as they come. */
export const CELSIUS = "°C";

/** Whether a channel with this unit is shown converted. */
export const converted = (unit: string, to: TemperatureUnit): boolean => unit === CELSIUS && to === "F";

/** The unit a channel's values are shown in. */
export const shownUnit = (unit: string, to: TemperatureUnit): string => (converted(unit, to) ? "°F" : unit);

/** A value (a reading, a limit) as shown: °C to °F when chosen, anything else unchanged. */
export const shownValue = (value: number, unit: string, to: TemperatureUnit): number => (converted(unit, to) ? (value * 9) / 5 + 32 : value);

/** A value as shown, in the operator's locale with the channel's decimals (a converted value keeps them too). */
export function formatShown(value: number, unit: string, to: TemperatureUnit, decimals = DEFAULT_DECIMALS): string {
  return formatValue(shownValue(value, unit, to), decimals);
}
