import { useEffect, useState } from "preact/hooks";
import type { MachineState, PlantMachineMsg, PlantMsg } from "../../../gateway/protocol/plant.js";
import { formatAge, formatValue } from "../format.js";
import { SEVERITY_ICON } from "./AlarmBanner.js";
import { api } from "./api.js";
import { t, type MessageKey } from "./i18n.js";
import { LiveTile } from "./LiveTile.js";
import { acknowledgeOn, openSignedIn } from "./plantActions.js";
import { canAct, serverClock } from "./state.js";

const POLL_MS = 2000;
const STATES: MachineState[] = ["critical", "warning", "offline", "unknown", "ok"];
const STATE_ICON: Record<MachineState, string> = { critical: "▲", warning: "◆", offline: "✕", unknown: "?", ok: "✓" };

function Machine({ m, now }: { m: PlantMachineMsg; now: number }) {
  // Firings acknowledged from here (id@since: the same alarm firing again is another), until the
  // machine's next announcement says so; and why one failed.
  const [sent, setSent] = useState<Set<string>>(new Set());
  const [failed, setFailed] = useState("");
  const acknowledge = async (alert: string, firing: string) => {
    setSent((s) => new Set(s).add(firing));
    const error = await acknowledgeOn(m, alert);
    setFailed(error ? t("plant.ackFailed", { error }) : "");
    if (error)
      setSent((s) => {
        const next = new Set(s);
        next.delete(firing);
        return next;
      });
  };
  const dashboard = m.pinnedUrl ?? m.url;
  return (
    <li class="plant-machine" data-machine={m.id} data-state={m.state}>
      <header class="machine-head">
        <h3 class="machine-name">{m.name}</h3>
        <span class="machine-state">
          <span aria-hidden="true">{STATE_ICON[m.state]} </span>
          {t(`plant.state.${m.state}` as MessageKey)}
          {m.state === "unknown" && m.lastState !== "unknown" && <span class="machine-last"> ({t("plant.lastSaid", { state: t(`plant.state.${m.lastState}` as MessageKey) })})</span>}
        </span>
      </header>
      {m.alerts.length > 0 && (
        <ul class="machine-alerts">
          {m.alerts.map((a) => (
            <li key={a.id} data-alert={a.id} data-severity={a.severity} data-alert-state={a.state}>
              <span class="machine-alert-sev">
                <span aria-hidden="true">{SEVERITY_ICON[a.severity]} </span>
                {t(`severity.${a.severity}` as MessageKey)}
              </span>{" "}
              {a.name}
              <span class="machine-alert-detail">
                {" · "}
                {a.state === "pending" ? t("plant.pending") : a.since !== null ? formatAge(now - a.since) : ""}
                {" · "}
                {a.shelved ? t("alarm.state.shelved") : a.ackBy ? t("alarm.ackedBy", { name: a.ackBy }) : t("alarm.unacked")}
              </span>
              {m.pinnedUrl && canAct() && a.state === "firing" && !a.ackBy && !a.shelved && (
                <button type="button" class="machine-ack" disabled={sent.has(`${a.id}@${a.since}`)} onClick={() => void acknowledge(a.id, `${a.id}@${a.since}`)} aria-label={t("plant.ackNamed", { alert: a.name, machine: m.name })}>
                  {t("alarm.ack")}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {failed && (
        <p class="error" role="alert">
          {failed}
        </p>
      )}
      {m.pinnedUrl && <LiveTile m={m} />}
      {m.values.length > 0 && (
        <dl class="machine-values">
          {m.values.map((v) => (
            <div key={v.id} data-value={v.id} class={v.stale ? "stale" : undefined}>
              <dt>{v.name}</dt>
              <dd>
                {v.value === null ? "–" : `${formatValue(v.value, v.decimals)} ${v.unit}`}
                {v.stale && <span class="machine-stale"> {t("card.stale")}</span>}
              </dd>
            </div>
          ))}
        </dl>
      )}
      <footer class="machine-foot">
        <span class="machine-heard">{t("plant.heard", { age: formatAge(now - m.heardAt) })}</span>
        {m.hall && <span class="machine-hall">{m.hall}</span>}
        {dashboard && (
          <a
            class="machine-open"
            href={dashboard}
            target="_blank"
            rel="noopener"
            // Pinned: signed in. Otherwise a plain link: nothing is sent to an announced URL.
            onClick={(e) => {
              if (!m.pinnedUrl) return;
              e.preventDefault();
              void openSignedIn(m).then((error) => setFailed(error ? t("plant.openFailed", { error }) : ""));
            }}
          >
            {t("plant.open")}
          </a>
        )}
      </footer>
    </li>
  );
}

/**
 * Every machine of the plant that announces itself on the plant's broker, the ones that need
 * attention first, with counts per hall; asked of this gateway every two seconds.
 */
export function PlantPage() {
  const [plant, setPlant] = useState<PlantMsg | undefined>();
  const [error, setError] = useState("");
  const [hall, setHall] = useState<string | null | undefined>(undefined);
  // Ages on the gateway's clock (this tablet's may be off), as the rest of the dashboard shows them.
  const now = serverClock.value || Date.now();

  useEffect(() => {
    let stopped = false;
    const poll = async () => {
      const res = await api<PlantMsg>("GET", "api/plant/machines").catch((err: Error) => ({ ok: false as const, error: err.message }));
      if (stopped) return;
      if (res.ok) {
        setPlant(res.data);
        setError("");
      } else setError(res.error);
    };
    void poll();
    const timer = setInterval(() => void poll(), POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);

  const shown = plant?.machines.filter((m) => hall === undefined || m.hall === hall) ?? [];
  return (
    <section class="page page-wide plant" aria-labelledby="plant-title">
      <h2 id="plant-title">{t("plant.title")}</h2>
      {error && (
        <p class="error" role="alert">
          {t("plant.unreachable", { error })}
        </p>
      )}
      {plant?.broker.state === "down" && (
        <p class="plant-broker-down" role="alert">
          {t("plant.brokerDown", { age: formatAge(now - plant.broker.since) })}
        </p>
      )}
      {plant && (
        <div class="plant-halls" role="group" aria-label={t("plant.halls")}>
          <button type="button" aria-pressed={hall === undefined} onClick={() => setHall(undefined)}>
            {t("plant.allHalls", { n: plant.machines.length })}
          </button>
          {plant.halls.map((h) => (
            <button key={h.hall ?? ""} type="button" data-hall={h.hall ?? ""} aria-pressed={hall === h.hall} onClick={() => setHall(h.hall)}>
              <span class="hall-name">{h.hall ?? t("plant.noHall")}</span>
              {STATES.filter((s) => h.counts[s] > 0).map((s) => (
                <span key={s} class="hall-count" data-state={s} title={t(`plant.state.${s}` as MessageKey)}>
                  <span aria-hidden="true">{STATE_ICON[s]}</span> {h.counts[s]}
                  <span class="visually-hidden"> {t(`plant.state.${s}` as MessageKey)}</span>
                </span>
              ))}
            </button>
          ))}
        </div>
      )}
      {plant && plant.machines.length === 0 && <p class="hint">{t("plant.none")}</p>}
      <ul class="plant-machines">
        {shown.map((m) => (
          <Machine key={m.id} m={m} now={now} />
        ))}
      </ul>
      {plant && plant.ignored > 0 && <p class="hint plant-ignored">{t("plant.ignored", { n: plant.ignored })}</p>}
    </section>
  );
}
