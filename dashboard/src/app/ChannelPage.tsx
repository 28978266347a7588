import { useEffect, useRef, useState } from "preact/hooks";
import uPlot, { type AlignedData } from "uplot";
import type { AlertMsg, ThresholdMsg } from "../../../gateway/protocol/alerts.js";
import type { ChannelMsg } from "../../../gateway/protocol/telemetry.js";
import { AXIS, drawThresholds } from "../charts.js";
import { formatValue } from "../format.js";
import { converted, formatShown, shownUnit, shownValue } from "../units.js";
import { api } from "./api.js";
import type { IncidentRow } from "../../../gateway/protocol/incident.js";
import { attachTimeGestures } from "./chartGestures.js";
import { language, t } from "./i18n.js";
import { plantTime } from "./plantTime.js";
import { canEditRules, plantTimeZone, temperatureUnit } from "./state.js";

/** The ranges offered, as the history API's `now-…` offsets, with a step that keeps about a thousand points. */
export const RANGES = [
  { id: "5m", ms: 5 * 60_000, step: "1s" },
  { id: "1h", ms: 3_600_000, step: "5s" },
  { id: "6h", ms: 6 * 3_600_000, step: "30s" },
  { id: "24h", ms: 24 * 3_600_000, step: "1m" },
  { id: "7d", ms: 7 * 86_400_000, step: "10m" },
  { id: "30d", ms: 30 * 86_400_000, step: "1h" },
  { id: "90d", ms: 90 * 86_400_000, step: "2h" },
] as const;
export type RangeId = (typeof RANGES)[number]["id"];

export interface Point {
  t: number;
  mean: number;
  min: number;
  max: number;
}
/** A recorded transition (GET /api/alerts/ID/events, newest first). */
interface AlertEvent {
  at: number;
  from_state: string;
  to_state: string;
  value: number | null;
  detail: string;
}

const historyUrl = (channel: string, range: (typeof RANGES)[number], format: "json" | "csv") =>
  `api/history?channel=${encodeURIComponent(channel)}&from=now-${range.id}&to=now&step=${range.step}&format=${format}`;

/**
 * One channel over any stretch from 5 minutes to 90 days: the mean with the min/max band of each step
 * (raw samples are per second for a day, per-minute aggregates beyond), threshold lines labelled with
 * their rule, the channel's alarms on the time line and their history, drag (or pinch, or Ctrl +
 * wheel) to zoom and one finger or sideways scrolling to move along, and the data shown as CSV (in
 * the channel's own unit, as stored, whatever unit the user sees).
 */
export function ChannelPage({ channel, info, thresholds }: { channel: string; info?: ChannelMsg; thresholds: ThresholdMsg[] }) {
  const [rangeId, setRangeId] = useState<RangeId>("1h");
  const [points, setPoints] = useState<Point[]>([]);
  const [error, setError] = useState("");
  const [alarms, setAlarms] = useState<Array<{ alert: AlertMsg; events: AlertEvent[] }>>([]);
  const [records, setRecords] = useState<IncidentRow[]>([]);
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot>();
  const range = RANGES.find((r) => r.id === rangeId)!;
  const decimals = info?.decimals;
  const unit = info?.unit ?? "";
  const to = temperatureUnit.value;
  const shown = shownUnit(unit, to);
  const toShown = (v: number) => shownValue(v, unit, to);

  useEffect(() => {
    void api<{ points: Point[] }>("GET", historyUrl(channel, range, "json")).then((res) => {
      setError(res.ok ? "" : t("error.refused", { error: res.error }));
      setPoints(res.ok ? res.data.points : []);
    });
    void api<IncidentRow[]>("GET", "api/incidents").then((res) => setRecords(res.ok ? res.data.filter((r) => r.status === "finalised") : []));
    void api<AlertMsg[]>("GET", "api/alerts").then(async (res) => {
      if (!res.ok) return;
      const mine = res.data.filter((a) => a.channel === channel);
      const withEvents = await Promise.all(
        mine.map(async (alert) => {
          const events = await api<AlertEvent[]>("GET", `api/alerts/${encodeURIComponent(alert.id)}/events`);
          return { alert, events: events.ok ? events.data : [] };
        }),
      );
      setAlarms(withEvents);
    });
  }, [channel, rangeId]);

  const firings = alarms.flatMap((a) => a.events.filter((e) => e.to_state === "firing").map((e) => e.at / 1000));
  useEffect(() => {
    if (!host.current) return;
    const color = "#4cc9f0";
    plot.current?.destroy();
    plot.current = new uPlot(
      {
        width: host.current.clientWidth || 800,
        height: 360,
        scales: { x: { time: true } },
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), plantTimeZone.value),
        axes: [{ ...AXIS }, { ...AXIS, label: shown, size: 60 }],
        series: [
          {},
          { label: t("channel.mean"), stroke: color, width: 2, value: (_u, v) => (v == null ? "–" : formatValue(v, decimals)) },
          { label: t("channel.min"), stroke: `${color}66`, width: 1, value: (_u, v) => (v == null ? "–" : formatValue(v, decimals)) },
          { label: t("channel.max"), stroke: `${color}66`, width: 1, value: (_u, v) => (v == null ? "–" : formatValue(v, decimals)) },
        ],
        bands: [{ series: [3, 2], fill: `${color}22` }],
        hooks: {
          draw: [
            (u) => {
              drawThresholds(u, thresholds.map((th) => ({ ...th, value: toShown(th.value) })), true, (v) => formatValue(v, decimals));
              // Where the channel's alarms fired.
              const { ctx, bbox } = u;
              ctx.save();
              ctx.fillStyle = "#ff5d7333";
              for (const at of firings) {
                const x = u.valToPos(at, "x", true);
                if (x >= bbox.left && x <= bbox.left + bbox.width) ctx.fillRect(x - devicePixelRatio, bbox.top, 2 * devicePixelRatio, bbox.height);
              }
              ctx.restore();
            },
          ],
          // What the chart shows, for tests and for whoever inspects the page: the x range in ms.
          setScale: [
            (u, key) => {
              if (key !== "x" || !host.current) return;
              host.current.dataset.xMin = String(Math.round(u.scales.x.min! * 1000));
              host.current.dataset.xMax = String(Math.round(u.scales.x.max! * 1000));
            },
          ],
        },
      },
      [points.map((p) => p.t / 1000), points.map((p) => toShown(p.mean)), points.map((p) => toShown(p.min)), points.map((p) => toShown(p.max))] as AlignedData,
      host.current,
    );
    attachTimeGestures(plot.current);
    showWholeRange();
    return () => plot.current?.destroy();
  }, [points, JSON.stringify(thresholds), alarms, language.value, plantTimeZone.value, unit, to]);

  // The chosen range, however little of it has data; dragging across the chart zooms in.
  function showWholeRange() {
    plot.current?.setScale("x", { min: (Date.now() - range.ms) / 1000, max: Date.now() / 1000 });
  }

  return (
    <section class="panel page page-wide" aria-labelledby="channel-title" data-points={points.length}>
      <h1 id="channel-title">{info?.name ?? channel}</h1>
      <p class="muted">
        {channel} · {converted(unit, to) ? t("channel.shownIn", { shown, unit }) : unit} · {t("channel.timeZone", { zone: plantTimeZone.value })}
      </p>
      <div class="channel-tools">
        <div class="range" role="group" aria-label={t("channel.range")}>
          {RANGES.map((r) => (
            <button key={r.id} type="button" data-range-id={r.id} aria-pressed={r.id === rangeId} class={r.id === rangeId ? "active" : undefined} onClick={() => setRangeId(r.id)}>
              {r.id}
            </button>
          ))}
        </div>
        <button type="button" onClick={showWholeRange}>
          {t("channel.resetZoom")}
        </button>
        <a class="button" href={historyUrl(channel, range, "csv")} download aria-describedby={converted(unit, to) ? "csv-unit" : undefined}>
          {t("channel.csv")}
        </a>
        {converted(unit, to) && (
          <span class="hint" id="csv-unit">
            {t("channel.csvUnit", { unit })}
          </span>
        )}
        {canEditRules() && (
          <a class="button quick-threshold" href={`#/rule/new/${encodeURIComponent(channel)}`}>
            {t("rules.quick")}
          </a>
        )}
      </div>
      <p class="hint">{t(range.ms > 24 * 3_600_000 ? "channel.aggregated" : "channel.raw", { step: range.step })}</p>
      <p class="hint">{t("channel.gestures")}</p>
      {error && <p class="error">{error}</p>}
      <div class="channel-chart" ref={host} />
      <h2>{t("channel.alarms")}</h2>
      {alarms.length === 0 ? (
        <p class="muted">{t("channel.noAlarms")}</p>
      ) : (
        <ul class="channel-alarms">
          {alarms.map(({ alert, events }) => (
            <li key={alert.id} data-alarm={alert.id}>
              <strong>{alert.name}</strong>
              <ol>
                {events.map((e) => (
                  <li key={`${e.at}-${e.to_state}`} data-transition={e.to_state}>
                    {plantTime(e.at, { dateStyle: "short", timeStyle: "medium" })}: {e.from_state} → {e.to_state}
                    {e.value !== null ? `, ${formatShown(e.value, alert.unit, to, decimals)} ${shownUnit(alert.unit, to)}` : ""}
                    {e.detail ? ` (${e.detail})` : ""}
                    {e.to_state === "firing" && <IncidentLink cid={recordOf(records, alert.id, e.at)} />}
                  </li>
                ))}
              </ol>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/**
 * The newest version of the record of a firing. The record's moment and the transition's time are
 * two readings of the gateway's clock a few milliseconds apart.
 */
function recordOf(records: IncidentRow[], alert: string, firedAt: number): string | null | undefined {
  return records.find((r) => r.alert === alert && Math.abs(r.firingAt - firedAt) < 1000)?.cid;
}

/** The record of what the machine looked and sounded like when an alarm fired, once it is finalised. */
function IncidentLink({ cid }: { cid: string | null | undefined }) {
  return cid ? (
    <>
      {" · "}
      <a href={`#/incident/${cid}`} data-incident-link={cid}>
        {t("channel.incident")}
      </a>
    </>
  ) : null;
}
