import { language } from "./i18n.js";
import { plantTimeZone } from "./state.js";

const formats = new Map<string, Intl.DateTimeFormat>();

/** A moment as the plant's clocks show it, in the user's language (hours and minutes unless asked). */
export function plantTime(ms: number, style: Intl.DateTimeFormatOptions = { hour: "2-digit", minute: "2-digit" }): string {
  // Making a format costs far more than using one: they are kept per language, zone and style.
  const key = `${language.value}|${plantTimeZone.value}|${JSON.stringify(style)}`;
  let format = formats.get(key);
  if (!format) formats.set(key, (format = new Intl.DateTimeFormat(language.value, { ...style, timeZone: plantTimeZone.value })));
  return format.format(ms);
}
