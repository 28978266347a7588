import { effect, useComputed } from "@preact/signals";
import { plantTime } from "./plantTime.js";
import { render } from "preact";
import { AccountPage } from "./Account.js";
import { language, LANGUAGES, setLanguage, t, type Language, type MessageKey } from "./i18n.js";
import { largeValues, startDisplay, theme, toggleLargeValues, toggleTheme } from "./display.js";
import type { ThresholdMsg } from "../../../gateway/protocol/alerts.js";
import type { ChannelMsg } from "../../../gateway/protocol/telemetry.js";
import { ChannelPage } from "./ChannelPage.js";
import { alarmSound, toggleAlarmSound } from "./alarmSound.js";
import { RuleEditor } from "./RuleEditor.js";
import { RulesPage } from "./Rules.js";
import { IncidentPage, IncidentsPage } from "./Incidents.js";
import { PlantPage } from "./Plant.js";
import { dataVersion, me, plantTimeZone, plantView, route, routeParam, serverClock, type Route } from "./state.js";
import { UsersPage } from "./Users.js";

const LINKS: Array<{ route: Route; href: string; label: MessageKey }> = [
  { route: "plant", href: "#/plant", label: "nav.plant" },
  { route: "overview", href: "#/", label: "nav.overview" },
  { route: "rules", href: "#/rules", label: "nav.rules" },
  { route: "incidents", href: "#/incidents", label: "nav.incidents" },
  { route: "users", href: "#/users", label: "nav.users" },
  { route: "account", href: "#/account", label: "nav.account" },
];

/** The plant's time, in its zone, for operators whose tablet is set otherwise. */
function PlantClock() {
  // The clock shows minutes: it is drawn again when the minute changes, not on every tick of serverClock.
  const minute = useComputed(() => Math.floor((serverClock.value || Date.now()) / 60_000));
  const text = plantTime(minute.value * 60_000, { hour: "2-digit", minute: "2-digit", timeZoneName: "short" });
  return (
    <time id="plant-clock" class="plant-clock" title={t("plant.clock", { zone: plantTimeZone.value })}>
      {text}
    </time>
  );
}

function Nav() {
  return (
    <>
      <PlantClock />
      {me.value && (
        <nav class="nav" aria-label="Pages">
          {LINKS.filter((l) => l.route !== "plant" || plantView.value).map((l) => (
            // A page about one thing (a rule, an incident) marks the link of its list.
            <a key={l.route} href={l.href} aria-current={route.value === l.route || `${l.route}` === `${route.value}s` ? "page" : undefined}>
              {t(l.label)}
            </a>
          ))}
        </nav>
      )}
      <div class="display-menu" role="group" aria-label={t("display.menu")}>
        <button type="button" name="theme" aria-pressed={theme.value === "light"} onClick={toggleTheme}>
          {t("display.light")}
        </button>
        <button type="button" name="large" aria-pressed={largeValues.value} onClick={toggleLargeValues}>
          {t("display.large")}
        </button>
        <button type="button" name="alarm-sound" aria-pressed={alarmSound.value} onClick={toggleAlarmSound} title={t("display.soundHint")}>
          {t("display.sound")}
        </button>
        {me.value && (
          <a href="#/kiosk" onClick={() => void document.documentElement.requestFullscreen?.().catch(() => undefined)}>
            {t("display.wall")}
          </a>
        )}
      </div>
      <label class="language">
        <span class="visually-hidden">{t("app.language")}</span>
        <select name="language" aria-label={t("app.language")} value={language.value} onChange={(e) => setLanguage((e.target as HTMLSelectElement).value as Language)}>
          {Object.entries(LANGUAGES).map(([code, name]) => (
            <option key={code} value={code} lang={code}>
              {name}
            </option>
          ))}
        </select>
      </label>
    </>
  );
}

/** What the pages need of the live data the overview keeps. */
export interface ShellData {
  channel(id: string): ChannelMsg | undefined;
  thresholds(id: string): ThresholdMsg[];
}

function Page({ data }: { data: ShellData }) {
  const who = me.value;
  if (!who || route.value === "overview" || route.value === "kiosk") return null;
  if (route.value === "channel") {
    void dataVersion.value; // drawn again when the gateway's channels or rules change
    const id = routeParam.value;
    return <ChannelPage key={id} channel={id} info={data.channel(id)} thresholds={data.thresholds(id)} />;
  }
  if (route.value === "rules") return <RulesPage />;
  if (route.value === "plant") return <PlantPage />;
  if (route.value === "incidents") return <IncidentsPage />;
  if (route.value === "incident") return <IncidentPage key={routeParam.value} cid={routeParam.value} />;
  if (route.value === "rule") return <RuleEditor key={routeParam.value} param={routeParam.value} channelInfo={(id) => data.channel(id)} />;
  return route.value === "users" ? <UsersPage me={who} /> : <AccountPage me={who} />;
}

/**
 * The application around the overview: pages by address (#/users, #/account), navigation, the
 * language menu, and the texts of the static page (marked data-i18n) in the chosen language.
 */
export function startShell(nav: HTMLElement, page: HTMLElement, overview: HTMLElement, data: ShellData): void {
  render(<Nav />, nav);
  render(<Page data={data} />, page);
  startDisplay(overview.querySelector<HTMLElement>("#cards")!);
  effect(() => {
    overview.hidden = route.value !== "overview" && route.value !== "kiosk";
  });
  effect(() => {
    document.documentElement.lang = language.value;
    for (const el of document.querySelectorAll<HTMLElement>("[data-i18n]")) el.textContent = t(el.dataset.i18n as MessageKey);
  });
}
