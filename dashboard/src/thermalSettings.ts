import { PALETTES, type Palette } from "../../gateway/protocol/thermal.js";
import type { MessageKey } from "./app/i18n.js";

export const RANGE_MODES = ["auto", "smooth", "fixed"] as const;
export type RangeMode = (typeof RANGE_MODES)[number];

/** The slow automatic range follows the scene with this time constant: it drifts, it does not jump. */
export const SLOW_RANGE_TAU_MS = 4000;
/** Bounds of a typed range: what the cameras can measure (frames outside −80…2000 °C are rejected). */
export const RANGE_LIMITS = [-80, 2000] as const;

/** One camera's view settings, kept in this browser. */
export interface ThermalSettings {
  palette: Palette;
  mode: RangeMode;
  /** The fixed range, kept when another mode is chosen so that it can be locked again. */
  fixed: [number, number] | null;
}

export const DEFAULT_SETTINGS: ThermalSettings = { palette: "ironbow", mode: "auto", fixed: null };

const storageKey = (camera: string) => `wachter.thermal.${camera}`;

/** The stored settings for a camera; anything unreadable falls back to the defaults. */
export function loadSettings(camera: string, storage: Pick<Storage, "getItem"> | undefined): ThermalSettings {
  let raw: unknown;
  try {
    raw = JSON.parse(storage?.getItem(storageKey(camera)) ?? "null");
  } catch {
    return { ...DEFAULT_SETTINGS };
  }
  if (!raw || typeof raw !== "object") return { ...DEFAULT_SETTINGS };
  const r = raw as Record<string, unknown>;
  const palette = PALETTES.includes(r.palette as Palette) ? (r.palette as Palette) : DEFAULT_SETTINGS.palette;
  const fixed = Array.isArray(r.fixed) && r.fixed.length === 2 && typeof r.fixed[0] === "number" && typeof r.fixed[1] === "number" && checkRange(r.fixed[0], r.fixed[1]) === undefined ? ([r.fixed[0], r.fixed[1]] as [number, number]) : null;
  let mode = RANGE_MODES.includes(r.mode as RangeMode) ? (r.mode as RangeMode) : DEFAULT_SETTINGS.mode;
  if (mode === "fixed" && !fixed) mode = DEFAULT_SETTINGS.mode;
  return { palette, mode, fixed };
}

export function saveSettings(camera: string, settings: ThermalSettings, storage: Pick<Storage, "setItem"> | undefined): void {
  storage?.setItem(storageKey(camera), JSON.stringify(settings));
}

/** Why a range cannot be used, or undefined when it can. */
function checkRange(min: number, max: number): MessageKey | undefined {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return "thermal.range.notNumber";
  if (min < RANGE_LIMITS[0] || max > RANGE_LIMITS[1]) return "thermal.range.limits";
  if (min >= max) return "thermal.range.order";
  return undefined;
}

/** A number as an operator types it: a decimal point or comma, nothing else. */
function parseNumber(text: string): number {
  const s = text.trim().replace(",", ".");
  return /^[-+]?\d+(\.\d*)?$|^[-+]?\.\d+$/.test(s) ? Number(s) : NaN;
}

/** The operator's typed min and max as a range, or the message saying what is wrong. */
export function parseFixedRange(minText: string, maxText: string): { range: [number, number] } | { error: MessageKey } {
  const min = parseNumber(minText);
  const max = parseNumber(maxText);
  const error = checkRange(min, max);
  return error ? { error } : { range: [min, max] };
}
