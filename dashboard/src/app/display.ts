import { effect, signal } from "@preact/signals";
import { route } from "./state.js";

/** How this browser shows the dashboard: a light theme for bright halls, large values for reading from afar. */
export const theme = signal<"dark" | "light">(localStorage.getItem("wachter.theme") === "light" ? "light" : "dark");
export const largeValues = signal(localStorage.getItem("wachter.size") === "large");

/** Wall mode cycles through the card groups, one at a time, this often. */
export const KIOSK_CYCLE_MS = 10_000;

export function toggleTheme(): void {
  theme.value = theme.value === "dark" ? "light" : "dark";
  localStorage.setItem("wachter.theme", theme.value);
}

export function toggleLargeValues(): void {
  largeValues.value = !largeValues.value;
  localStorage.setItem("wachter.size", largeValues.value ? "large" : "normal");
}

/** Applies the preferences to the page, and runs wall mode (#/kiosk): large values, one group at a time. */
export function startDisplay(groups: HTMLElement): void {
  effect(() => {
    const kiosk = route.value === "kiosk";
    document.documentElement.dataset.theme = theme.value;
    document.documentElement.dataset.size = largeValues.value || kiosk ? "large" : "normal";
    document.body.dataset.kiosk = String(kiosk);
  });
  let shown = 0;
  const showNext = () => {
    const all = [...groups.querySelectorAll<HTMLElement>(".card-group")];
    if (!all.length) return;
    shown = (shown + 1) % all.length;
    all.forEach((g, i) => (g.dataset.current = String(i === shown)));
  };
  // The groups are built anew with every snapshot: start again at the first when none is shown.
  const showFirstIfNone = () => {
    if (groups.querySelector('[data-current="true"]')) return;
    shown = -1;
    showNext();
  };
  effect(() => {
    if (route.value !== "kiosk") return;
    showFirstIfNone();
    const settle = new MutationObserver(showFirstIfNone);
    settle.observe(groups, { childList: true });
    const timer = window.setInterval(showNext, KIOSK_CYCLE_MS);
    const leave = (e: KeyboardEvent) => e.key === "Escape" && (location.hash = "#/");
    window.addEventListener("keydown", leave);
    return () => {
      window.clearInterval(timer);
      settle.disconnect();
      window.removeEventListener("keydown", leave);
    };
  });
}
