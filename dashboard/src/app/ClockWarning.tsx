import { signal } from "@preact/signals";
import { render } from "preact";
import type { ClockStatusMsg } from "../../../gateway/protocol/clock.js";
import { api } from "./api.js";
import { t } from "./i18n.js";
import { me } from "./state.js";

/** More apart than this, the gateway's clock and the browser's are worth a warning. */
export const CLOCK_SKEW_WARN_MS = 5000;
const STATUS_EVERY_MS = 15_000;

/** Gateway clock minus browser clock, in whole seconds, as the live data last showed it. */
export const clockSkewSeconds = signal(0);
const synchronized = signal<boolean | null>(null);

function ClockWarning() {
  const skew = clockSkewSeconds.value;
  const messages = [
    ...(synchronized.value === false ? [t("clock.unsynced")] : []),
    ...(Math.abs(skew) * 1000 > CLOCK_SKEW_WARN_MS ? [t("clock.skew", { seconds: Math.abs(skew) })] : []),
  ];
  if (!me.value || messages.length === 0) return null;
  return (
    <div id="clock-warning" class="clock-warning" role="status">
      {messages.map((m) => (
        <p key={m}>{m}</p>
      ))}
    </div>
  );
}

async function refresh(): Promise<void> {
  if (!me.value) return;
  const answer = await api<{ clock: ClockStatusMsg }>("GET", "/api/status").catch(() => undefined);
  if (answer?.ok) synchronized.value = answer.data.clock.synchronized;
}

/** A warning under the top bar while the gateway's clock is unsynchronised or far from this device's. */
export function startClockWarning(host: HTMLElement): void {
  render(<ClockWarning />, host);
  void refresh();
  window.setInterval(() => void refresh(), STATUS_EVERY_MS);
  me.subscribe(() => void refresh());
}
