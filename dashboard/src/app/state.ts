import { signal } from "@preact/signals";
import type { Me } from "../session.js";

/** Who is signed in (undefined: nobody), shared by the overview code and the application's pages. */
export const me = signal<Me | undefined>(undefined);

export type Route = "overview" | "kiosk" | "users" | "account" | "channel";
const ROUTES: Record<string, Route> = { "": "overview", "#/": "overview", "#/kiosk": "kiosk", "#/users": "users", "#/account": "account" };
const CHANNEL_ROUTE = /^#\/channel\/(.+)$/;

/** The page shown, from the address's fragment (#/users, #/account, #/kiosk for wall mode), so each page has a link of its own. */
export const route = signal<Route>(routeOf(location.hash));
/** The channel of the channel page (#/channel/ID). */
export const routeChannel = signal(channelOf(location.hash));
window.addEventListener("hashchange", () => {
  route.value = routeOf(location.hash);
  routeChannel.value = channelOf(location.hash);
});

function routeOf(hash: string): Route {
  return CHANNEL_ROUTE.test(hash) ? "channel" : (ROUTES[hash] ?? "overview");
}

function channelOf(hash: string): string {
  return decodeURIComponent(CHANNEL_ROUTE.exec(hash)?.[1] ?? "");
}

/** The gateway's time, moved on four times a second and whenever alerts change: live views redraw with it. */
export const serverClock = signal(0);

/** The plant's time zone (from the gateway): every time on the dashboard is shown in it. */
export const plantTimeZone = signal(Intl.DateTimeFormat().resolvedOptions().timeZone);

/** Moves on when the gateway sends a new picture of its channels or rules, for pages that show them. */
export const dataVersion = signal(0);
