import type { AlertBook } from "../alerts.js";
import { AlarmControls, alarmStatus, SEVERITY_ICON, stateOf, type AlarmActions } from "./AlarmBanner.js";
import { t, type MessageKey } from "./i18n.js";
import { serverClock } from "./state.js";

/**
 * On a channel's card: each of its firing alarms, in words, with its state and the banner's own
 * controls, so an operator standing at the part's card acknowledges or shelves it there.
 */
export function CardAlarms({ channel, book, actions }: { channel: string; book: AlertBook; actions: AlarmActions }) {
  void book.changes.value;
  const firing = book.firingOn(channel);
  if (!firing.length) return null;
  // Only a card with alarms follows the clock (for their states' ages): fifty cards drawn four times a second would not be free.
  const now = serverClock.value;
  return (
    <ul class="card-alerts">
      {firing.map((alert) => {
        const nameId = `card-alert-name-${alert.id}`;
        return (
          <li key={alert.id} class="card-alert" data-card-alert={alert.id} data-state={stateOf(alert, now)} data-severity={alert.severity}>
            <span class="card-alert-name" id={nameId}>
              <span class="card-alert-sev">
                <span aria-hidden="true">{SEVERITY_ICON[alert.severity]} </span>
                {t(`severity.${alert.severity}` as MessageKey)}
              </span>{" "}
              {alert.name}
            </span>
            <span class="card-alert-state">{alarmStatus(alert, now)}</span>
            <AlarmControls alert={alert} actions={actions} now={now} describedBy={nameId} class="card-alert" />
          </li>
        );
      })}
    </ul>
  );
}
