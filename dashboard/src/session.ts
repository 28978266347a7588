import type { Preferences } from "../../gateway/auth/preferences.js";
import { t } from "./app/i18n.js";

/** Sign-in state against the gateway's /api/login, /api/me and /api/logout. */
export interface Me {
  name: string;
  role: "viewer" | "operator" | "engineer" | "admin";
  /** Kept on the gateway with the user, so they follow the operator from tablet to tablet. */
  preferences: Preferences;
}

export async function whoAmI(): Promise<Me | undefined> {
  const res = await fetch("api/me", { credentials: "same-origin" });
  if (res.status === 401) return undefined;
  if (!res.ok) throw new Error(`gateway answered ${res.status}`);
  return (await res.json()) as Me;
}

export async function signIn(username: string, password: string): Promise<string | undefined> {
  const res = await fetch("api/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, password }),
    credentials: "same-origin",
  });
  if (res.ok) return undefined;
  if (res.status === 429) return t("login.throttled", { seconds: res.headers.get("Retry-After") ?? "…" });
  if (res.status === 401) return t("login.wrong");
  const body = (await res.json().catch(() => ({}))) as { error?: string };
  return body.error ?? `Sign-in failed (${res.status}).`;
}

export async function signOut(): Promise<void> {
  await fetch("api/logout", { method: "POST", credentials: "same-origin" });
}
