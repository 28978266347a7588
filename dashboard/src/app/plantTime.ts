import { language } from "./i18n.js";
import { plantTimeZone } from "./state.js";

/** A moment as the plant's clocks show it, in the user's language (hours and minutes unless asked). */
export function plantTime(ms: number, style: Intl.DateTimeFormatOptions = { hour: "2-digit", minute: "2-digit" }): string {
  return new Intl.DateTimeFormat(language.value, { ...style, timeZone: plantTimeZone.value }).format(ms);
}
