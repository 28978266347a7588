import type { PlantMachineMsg } from "../../../gateway/protocol/plant.js";
import { api } from "./api.js";
import { t } from "./i18n.js";

/*
 * What the plant view does on a machine pinned in this gateway's configuration
 * (plant.broker.machines), each time with a plant token this gateway issues for that machine.
 */

/** A plant token for the signed-in user, from this gateway, for the machine's gateway only. */
export const plantToken = (m: PlantMachineMsg) => api<{ token: string }>("POST", "api/plant/token", { audience: m.id });

/**
 * Acknowledges an alarm on the machine's own gateway, through the URL pinned in this gateway's
 * configuration, with a plant token this gateway issues to the signed-in user for that machine.
 */
export async function acknowledgeOn(m: PlantMachineMsg, alert: string): Promise<string | null> {
  const issued = await plantToken(m);
  if (!issued.ok) return issued.error;
  try {
    const res = await fetch(new URL(`api/alerts/${encodeURIComponent(alert)}/ack`, m.pinnedUrl!), {
      method: "POST",
      credentials: "omit",
      headers: { Authorization: `Bearer ${issued.data.token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ note: "" }),
    });
    if (res.ok) return null;
    return ((await res.json().catch(() => ({}))) as { error?: string }).error ?? `HTTP ${res.status}`;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Opens the machine's dashboard signed in, in a new tab: a form posted to its pinned URL hands the
 * user over with a plant token (the machine's gateway turns it into a session of its own). The tab
 * opens at the click, before the token is asked for, so that no pop-up blocker stops it.
 */
export async function openSignedIn(m: PlantMachineMsg): Promise<string | null> {
  const name = `wachter-${m.id}`;
  const tab = window.open("about:blank", name);
  if (!tab) return t("plant.popupBlocked");
  tab.opener = null;
  const issued = await plantToken(m);
  if (!issued.ok) {
    tab.close();
    return issued.error;
  }
  const form = document.createElement("form");
  form.method = "POST";
  form.action = new URL("api/login/plant", m.pinnedUrl!).href;
  form.target = name;
  const token = document.createElement("input");
  token.type = "hidden";
  token.name = "token";
  token.value = issued.data.token;
  form.append(token);
  document.body.append(form);
  form.submit();
  form.remove();
  return null;
}
