import { signal } from "@preact/signals";
import type { Me } from "../session.js";

/** Who is signed in (undefined: nobody), shared by the overview code and the application's pages. */
export const me = signal<Me | undefined>(undefined);

export type Route = "overview" | "kiosk" | "users" | "account";
const ROUTES: Record<string, Route> = { "": "overview", "#/": "overview", "#/kiosk": "kiosk", "#/users": "users", "#/account": "account" };

/** The page shown, from the address's fragment (#/users, #/account, #/kiosk for wall mode), so each page has a link of its own. */
export const route = signal<Route>(routeOf(location.hash));
window.addEventListener("hashchange", () => (route.value = routeOf(location.hash)));

function routeOf(hash: string): Route {
  return ROUTES[hash] ?? "overview";
}
