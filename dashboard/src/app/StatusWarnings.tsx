import { signal } from "@preact/signals";
import { render } from "preact";
import type { StatusMsg, StorageFailureMsg } from "../../../gateway/protocol/status.js";
import { api } from "./api.js";
import { t, type MessageKey } from "./i18n.js";
import { plantTime } from "./plantTime.js";
import { me } from "./state.js";

/** More apart than this, the gateway's clock and the browser's are worth a warning. */
export const CLOCK_SKEW_WARN_MS = 5000;
const STATUS_EVERY_MS = 15_000;

/** Gateway clock minus browser clock, in whole seconds, as the live data last showed it. */
export const clockSkewSeconds = signal(0);
const synchronized = signal<boolean | null>(null);
const storage = signal<StorageFailureMsg[]>([]);

const WRITERS: Record<string, MessageKey> = {
  history: "storage.writer.history",
  "alert state": "storage.writer.alerts",
  notifications: "storage.writer.notifications",
  sessions: "storage.writer.sessions",
};

function ClockWarning() {
  const skew = clockSkewSeconds.value;
  const messages = [
    ...(synchronized.value === false ? [t("clock.unsynced")] : []),
    ...(Math.abs(skew) * 1000 > CLOCK_SKEW_WARN_MS ? [t("clock.skew", { seconds: Math.abs(skew) })] : []),
  ];
  if (messages.length === 0) return null;
  return (
    <div id="clock-warning" class="status-warning" role="status">
      {messages.map((m) => (
        <p key={m}>{m}</p>
      ))}
    </div>
  );
}

function StorageWarning() {
  const failing = storage.value;
  if (failing.length === 0) return null;
  const since = Math.min(...failing.map((f) => f.since));
  const writers = failing.map((f) => (WRITERS[f.writer] ? t(WRITERS[f.writer]) : f.writer)).join(", ");
  return (
    <div id="storage-warning" class="status-warning" role="alert">
      <p>{t("storage.failing", { time: plantTime(since), writers })}</p>
    </div>
  );
}

function StatusWarnings() {
  if (!me.value) return null;
  return (
    <>
      <StorageWarning />
      <ClockWarning />
    </>
  );
}

async function refresh(): Promise<void> {
  if (!me.value) return;
  const answer = await api<StatusMsg>("GET", "/api/status").catch(() => undefined);
  if (!answer?.ok) return;
  synchronized.value = answer.data.clock.synchronized;
  storage.value = answer.data.storage;
}

/** Warnings under the top bar about the gateway itself: a disk it cannot write to, a clock not to be believed. */
export function startStatusWarnings(host: HTMLElement): void {
  render(<StatusWarnings />, host);
  void refresh();
  window.setInterval(() => void refresh(), STATUS_EVERY_MS);
  me.subscribe(() => void refresh());
}
