import { computed, signal } from "@preact/signals";
import type { Me } from "../session.js";

/** Who is signed in (undefined: nobody), shared by the overview code and the application's pages. */
export const me = signal<Me | undefined>(undefined);

/** The signed-in user's temperature unit (kept on the gateway with the user), °C until known. */
export const temperatureUnit = computed(() => me.value?.preferences.temperatureUnit ?? "C");

export type Route = "overview" | "kiosk" | "users" | "account" | "channel" | "rules" | "rule" | "plant" | "incidents" | "incident";
const ROUTES: Record<string, Route> = { "": "overview", "#/": "overview", "#/kiosk": "kiosk", "#/users": "users", "#/account": "account", "#/rules": "rules", "#/plant": "plant", "#/incidents": "incidents" };
/** Pages about one thing: #/channel/ID, #/rule/edit/ID, #/rule/new (or #/rule/new/CHANNEL: a limit for that channel), #/incident/CID. */
const PARAM_ROUTES: Array<[RegExp, Route]> = [
  [/^#\/channel\/(.+)$/, "channel"],
  [/^#\/incident\/(.+)$/, "incident"],
  [/^#\/rule\/((?:edit|new)(?:\/.*)?)$/, "rule"],
];

/** The page shown, from the address's fragment (#/users, #/account, #/kiosk for wall mode), so each page has a link of its own. */
export const route = signal<Route>(routeOf(location.hash));
/** What a page about one thing is about: the channel id, "edit/RULE", "new" or "new/CHANNEL", or an incident record's CID. */
export const routeParam = signal(paramOf(location.hash));
window.addEventListener("hashchange", () => {
  route.value = routeOf(location.hash);
  routeParam.value = paramOf(location.hash);
});

function routeOf(hash: string): Route {
  return PARAM_ROUTES.find(([re]) => re.test(hash))?.[1] ?? ROUTES[hash] ?? "overview";
}

function paramOf(hash: string): string {
  for (const [re] of PARAM_ROUTES) {
    const m = re.exec(hash);
    if (m) return decodeURIComponent(m[1]);
  }
  return "";
}

/** The gateway's time, moved on four times a second and whenever alerts change: live views redraw with it. */
export const serverClock = signal(0);

/** The plant's time zone (from the gateway): every time on the dashboard is shown in it. */
/** Whether this gateway serves the plant view (plant.broker with view). */
export const plantView = signal(false);
export const plantTimeZone = signal(Intl.DateTimeFormat().resolvedOptions().timeZone);

/** Moves on when the gateway sends a new picture of its channels or rules, for pages that show them. */
export const dataVersion = signal(0);

/** Operators and above act on alarms and pin incident records; viewers only look. */
export const canAct = () => me.value !== undefined && me.value.role !== "viewer";

/** Engineers and admins change alert rules; everyone else sees them read-only. */
export const canEditRules = () => me.value?.role === "engineer" || me.value?.role === "admin";
