import { useEffect, useRef, useState } from "preact/hooks";
import type { AlertMsg } from "../../../gateway/protocol/alerts.js";
import type { AlertBook } from "../alerts.js";
import type { Store } from "../store.js";
import { formatShown, shownUnit } from "../units.js";
import { t, type MessageKey } from "./i18n.js";
import { plantTime } from "./plantTime.js";
import { serverClock, temperatureUnit } from "./state.js";

export interface AlarmActions {
  canAct(): boolean;
  ack(id: string, note: string): void;
  shelve(id: string, forMs: number | null): void;
}

/** Shape and word as well as colour, so no severity is told by colour alone. */
export const SEVERITY_ICON = { critical: "▲", warning: "◆", info: "●" } as const;
export const SHELVE_FOR = [15 * 60_000, 3_600_000, 4 * 3_600_000, 8 * 3_600_000, 24 * 3_600_000];

export type BannerState = "unacked" | "acked" | "shelved";
export const stateOf = (a: AlertMsg, now: number): BannerState => (a.shelvedUntil !== null && a.shelvedUntil > now ? "shelved" : a.ack ? "acked" : "unacked");

export function duration(ms: number): string {
  return ms < 3_600_000 ? t("alarm.minutes", { n: Math.round(ms / 60_000) }) : t("alarm.hours", { n: Math.round(ms / 3_600_000) });
}

/** What an operator sees of an alarm's state: who acknowledged it, until when it is shelved. */
export function alarmStatus(alert: AlertMsg, now: number): string {
  const state = stateOf(alert, now);
  return state === "shelved" ? t("alarm.shelvedUntil", { time: plantTime(alert.shelvedUntil!) }) : state === "acked" ? t("alarm.ackedBy", { name: alert.ack!.by }) : t("alarm.unacked");
}

/**
 * Acknowledge (with an optional note) and shelve (for a chosen time) one alarm, or why the user
 * cannot: the banner and the cards both use it. `describedBy` names the element that says which
 * alarm, so screen readers hear it with each control.
 */
export function AlarmControls({ alert, actions, now, describedBy, class: className }: { alert: AlertMsg; actions: AlarmActions; now: number; describedBy: string; class: string }) {
  const [noting, setNoting] = useState(false);
  const [note, setNote] = useState("");
  const noteInput = useRef<HTMLInputElement>(null);
  // Keyboard users land in the note field when they open it.
  useEffect(() => void (noting && noteInput.current?.focus({ preventScroll: true })), [noting]);
  const state = stateOf(alert, now);
  if (!actions.canAct()) return <span class={`${className}-hint`}>{t("alarm.viewerHint")}</span>;
  return (
    <span class={`${className}-actions`}>
      {state === "unacked" &&
        (noting ? (
          <form
            class="ack-form"
            onSubmit={(e) => {
              e.preventDefault();
              actions.ack(alert.id, note);
              setNoting(false);
              setNote("");
            }}
            onKeyDown={(e) => e.key === "Escape" && setNoting(false)}
          >
            <input
              name="ack-note"
              maxLength={500}
              placeholder={t("alarm.notePlaceholder")}
              aria-label={t("alarm.note")}
              aria-describedby={describedBy}
              value={note}
              ref={noteInput}
              onInput={(e) => setNote((e.target as HTMLInputElement).value)}
            />
            <button type="submit" aria-describedby={describedBy}>
              {t("alarm.ack")}
            </button>
            <button type="button" class="link" onClick={() => setNoting(false)}>
              {t("alarm.cancel")}
            </button>
          </form>
        ) : (
          <button type="button" class={`${className}-ack-button`} aria-describedby={describedBy} onClick={() => setNoting(true)}>
            {t("alarm.ack")}
          </button>
        ))}
      {state === "shelved" ? (
        <button type="button" aria-describedby={describedBy} onClick={() => actions.shelve(alert.id, null)}>
          {t("alarm.unshelve")}
        </button>
      ) : (
        <select
          name="shelve"
          aria-label={t("alarm.shelve")}
          aria-describedby={describedBy}
          value=""
          onChange={(e) => {
            const ms = Number((e.target as HTMLSelectElement).value);
            if (ms) actions.shelve(alert.id, ms);
          }}
        >
          <option value="">{t("alarm.shelve")}…</option>
          {SHELVE_FOR.map((ms) => (
            <option key={ms} value={String(ms)}>
              {duration(ms)}
            </option>
          ))}
        </select>
      )}
    </span>
  );
}

function AlarmRow({ alert, store, book, actions, now }: { alert: AlertMsg; store: Store; book: AlertBook; actions: AlarmActions; now: number }) {
  const channel = store.channels.get(alert.channel);
  const live = channel?.last?.[1] ?? alert.value;
  const limit = book.thresholds.find((th) => th.rule === alert.rule && th.channel === alert.channel);
  const nameId = `banner-name-${alert.id}`;
  const to = temperatureUnit.value;
  return (
    <li class="banner-alert" data-banner-alert={alert.id} data-state={stateOf(alert, now)} data-severity={alert.severity}>
      <span class="sev-word">
        <span aria-hidden="true">{SEVERITY_ICON[alert.severity]} </span>
        {t(`severity.${alert.severity}` as MessageKey)}
      </span>
      <strong class="banner-name" id={nameId}>
        {alert.name}
      </strong>
      {channel && channel.name !== alert.name && <span class="banner-part">{channel.name}</span>}
      {live !== null && (
        <span class="banner-value">
          {formatShown(live, alert.unit, to, channel?.decimals)} {shownUnit(alert.unit, to)}
        </span>
      )}
      {limit && <span class="banner-limit">{t("alarm.limit", { op: limit.kind === "above" ? ">" : "<", value: formatShown(limit.value, alert.unit, to, channel?.decimals), unit: shownUnit(alert.unit, to) })}</span>}
      <span class="banner-state">{alarmStatus(alert, now)}</span>
      <AlarmControls alert={alert} actions={actions} now={now} describedBy={nameId} class="banner" />
    </li>
  );
}

/**
 * Firing alarms under the top bar, where the operator acts on them: severity in words, the machine
 * part, the live value and the limit, acknowledge (with a note) and shelve (for a chosen time) on
 * each, acknowledge all. Colour and wording follow the state. Screen readers hear each change once:
 * the announcement is its own live region, changed only when an alarm appears or changes state.
 */
export function AlarmBanner({ book, store, actions }: { book: AlertBook; store: Store; actions: AlarmActions }) {
  const now = serverClock.value;
  const firing = book.sorted().filter((a) => a.state === "firing");
  const unacked = firing.filter((a) => stateOf(a, now) === "unacked");
  const worst = firing[0];
  const announcement = firing.map((a) => `${t(`severity.${a.severity}` as MessageKey)}: ${a.name}, ${t(`alarm.state.${stateOf(a, now)}` as MessageKey)}`).join(". ");
  return (
    <>
      <p class="visually-hidden" aria-live="assertive" id="alarm-announcement">
        {announcement}
      </p>
      {worst && (
        <section class="alert-banner" aria-label={t("alarm.region")} data-severity={worst.severity} data-state={unacked.length ? "unacked" : stateOf(worst, now)}>
          <ul class="banner-alerts">
            {firing.map((a) => (
              <AlarmRow key={a.id} alert={a} store={store} book={book} actions={actions} now={now} />
            ))}
          </ul>
          {unacked.length > 1 && actions.canAct() && (
            <button type="button" class="ack-all" onClick={() => unacked.forEach((a) => actions.ack(a.id, ""))}>
              {t("alarm.ackAll", { n: unacked.length })}
            </button>
          )}
        </section>
      )}
    </>
  );
}
