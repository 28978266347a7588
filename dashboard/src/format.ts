import { language, t } from "./app/i18n.js";

/** One decimal unless a channel says otherwise: what temperature sensors resolve, steady to read. */
export const DEFAULT_DECIMALS = 1;
const numberFormats = new Map<string, Intl.NumberFormat>();

/** A reading in the operator's locale (decimal comma in German and Dutch), with fixed decimals. */
export function formatValue(value: number, decimals = DEFAULT_DECIMALS): string {
  const key = `${language.value}/${decimals}`;
  let format = numberFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(language.value, { minimumFractionDigits: decimals, maximumFractionDigits: decimals, useGrouping: false });
    numberFormats.set(key, format);
  }
  return format.format(value);
}

/** Whole seconds: tenths would change a card's text ten times a second, and the layout with it. */
export function formatAge(ms: number): string {
  if (ms < 0) ms = 0;
  if (ms < 1000) return t("age.now");
  if (ms < 60_000) return t("age.seconds", { n: Math.floor(ms / 1000) });
  if (ms < 3_600_000) return t("age.minutes", { n: Math.floor(ms / 60_000) });
  return t("age.hours", { n: (ms / 3_600_000).toFixed(1) });
}

/** Series colours; none of them is an alarm's red or amber. */
const PALETTE = ["#4cc9f0", "#b388ff", "#80ed99", "#90e0ef", "#c77dff", "#a7c957", "#7b9cff", "#56cfe1", "#e0aaff", "#72efdd"];

export const PALETTE_SIZE = PALETTE.length;

export function colorFor(index: number): string {
  return PALETTE[index % PALETTE.length];
}

/** A panel's state pill: "not live" while the gateway is gone, else the device's own state. */
export function showLiveState(pill: HTMLElement, linkLost: boolean, offline: boolean, offlineText: string): void {
  pill.textContent = linkLost ? t("live.notLive") : offline ? offlineText : t("live.live");
  pill.className = `pill ${linkLost || offline ? "pill-bad" : "pill-ok"}`;
}

/** Creates an element with text content only: sensor and config names never become HTML. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Creates an SVG element, with a class if given. */
export function svg<K extends keyof SVGElementTagNameMap>(tag: K, className?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  if (className) node.setAttribute("class", className);
  return node;
}

/** Sets an element's text only when it differs: an unchanged text then costs no style or layout. */
export function setText(node: Element, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

/** Sets the attributes that differ, for the same reason. */
export function setAttributes(node: Element, attributes: Record<string, string | number>): void {
  for (const [name, value] of Object.entries(attributes)) if (node.getAttribute(name) !== String(value)) node.setAttribute(name, String(value));
}

/** The parent's children, made with `make` or removed so that there are exactly `count`. */
export function fill<T extends Element>(parent: Element, count: number, make: () => T): T[] {
  while (parent.children.length > count) parent.lastElementChild!.remove();
  while (parent.children.length < count) parent.append(make());
  return [...parent.children] as T[];
}
