import { useEffect, useRef, useState } from "preact/hooks";
import uPlot, { type AlignedData } from "uplot";
import type { ThresholdMsg } from "../../../gateway/protocol/alerts.js";
import type { BacktestMsg, RuleMsg, RuleSpec, ValidationMsg } from "../../../gateway/protocol/rules.js";
import type { ChannelMsg } from "../../../gateway/protocol/telemetry.js";
import { AXIS, drawThresholds } from "../charts.js";
import { formatValue } from "../format.js";
import { CELSIUS, converted, shownUnit } from "../units.js";
import { api, ifMatch } from "./api.js";
import { RANGES, type Point, type RangeId } from "./ChannelPage.js";
import { language, t } from "./i18n.js";
import { plantTime } from "./plantTime.js";
import { draftOf, quickDraft, ruleOf, type Draft } from "./ruleDraft.js";
import { canEditRules, me, plantTimeZone, temperatureUnit } from "./state.js";

const BACKTEST_RANGES: RangeId[] = ["1h", "6h", "24h", "7d", "30d", "90d"];

// The gateway runs one backtest at a time: this page asks in turn, and waits a moment when another user's runs.
// A draft edited again before its turn came is not asked for at all (`wanted`), so typing never builds a queue.
let turn: Promise<unknown> = Promise.resolve();
function backtestInTurn(rule: RuleSpec, from: string, wanted: () => boolean): Promise<Awaited<ReturnType<typeof api<BacktestMsg>>> | undefined> {
  const ask = async () => {
    for (let attempt = 0; ; attempt++) {
      if (!wanted()) return undefined;
      const res = await api<BacktestMsg>("POST", "api/rules/backtest", { rule, from });
      if (res.ok || attempt >= 5 || !/another backtest/.test(res.error)) return res;
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  const next = turn.then(ask);
  turn = next.catch(() => undefined);
  return next;
}

const duration = (ms: number) => (ms >= 3_600_000 ? t("alarm.hours", { n: (ms / 3_600_000).toFixed(1) }) : ms >= 60_000 ? t("alarm.minutes", { n: Math.round(ms / 60_000) }) : `${Math.round(ms / 1000)} s`);

/** Where the backtest says the rule would have been pending (amber) and firing (red), on the chart. */
function drawIntervals(u: uPlot, result: BacktestMsg | undefined, channel: string) {
  const intervals = result?.channels.find((c) => c.channel === channel)?.intervals ?? [];
  const { ctx, bbox } = u;
  ctx.save();
  for (const iv of intervals) {
    const x0 = Math.max(bbox.left, u.valToPos(iv.start / 1000, "x", true));
    const x1 = Math.min(bbox.left + bbox.width, u.valToPos((iv.end ?? result!.to) / 1000, "x", true));
    if (x1 < bbox.left || x0 > bbox.left + bbox.width) continue;
    ctx.fillStyle = iv.state === "firing" ? "#ff5d7355" : "#ffb70333";
    ctx.fillRect(x0, bbox.top, Math.max(x1 - x0, devicePixelRatio), bbox.height);
  }
  ctx.restore();
}

function Summary({ result, label }: { result: BacktestMsg | undefined; label: string }) {
  if (!result) return null;
  return (
    <div class="backtest-summary" data-firings={result.firings}>
      <h3>{label}</h3>
      <dl>
        <dt>{t("rules.firings")}</dt>
        <dd class="bt-firings">{result.firings}</dd>
        <dt>{t("rules.perDay")}</dt>
        <dd>{result.firingsPerDay.toFixed(1)}</dd>
        <dt>{t("rules.longest")}</dt>
        <dd>{result.longestFiringMs ? duration(result.longestFiringMs) : "–"}</dd>
      </dl>
    </div>
  );
}

/**
 * Making or changing one rule: the condition in plain fields (or any rule as JSON), checked by the
 * gateway as it is typed, and replayed over the channel's stored history before it is saved, drawn
 * over the chart, next to how the rule as saved would have done.
 */
export function RuleEditor({ param, channelInfo }: { param: string; channelInfo: (id: string) => ChannelMsg | undefined }) {
  const [draft, setDraft] = useState<Draft | undefined>();
  const [saved, setSaved] = useState<RuleMsg | undefined>();
  const [check, setCheck] = useState<ValidationMsg>({ problems: [], warnings: [], matches: [] });
  const [rangeId, setRangeId] = useState<RangeId>("24h");
  const [result, setResult] = useState<BacktestMsg | undefined>();
  const [savedResult, setSavedResult] = useState<BacktestMsg | undefined>();
  const [points, setPoints] = useState<Point[]>([]);
  const [status, setStatus] = useState<{ text: string; error: boolean }>({ text: "", error: false });
  const host = useRef<HTMLDivElement>(null);
  const editing = param.startsWith("edit/");
  const readOnly = !canEditRules() || saved?.source === "file";
  const range = RANGES.find((r) => r.id === rangeId)!;
  const chartChannel = check.matches[0];
  const rule: RuleSpec | undefined = draft && ruleOf(draft);

  useEffect(() => {
    if (editing) {
      void api<RuleMsg>("GET", `api/rules/${encodeURIComponent(param.slice(5))}`).then((res) => {
        if (!res.ok) return setStatus({ text: t("error.refused", { error: res.error }), error: true });
        setSaved(res.data);
        setDraft(draftOf(res.data, res.data.enabled));
      });
      return;
    }
    const channel = param.startsWith("new/") ? param.slice(4) : "";
    if (!channel) return setDraft(draftOf({ id: "", channels: [], severity: "warning", when: { above: 0 } }));
    const info = channelInfo(channel);
    void api<{ points: Point[] }>("GET", `api/history?channel=${encodeURIComponent(channel)}&from=now-24h&to=now&step=1m`).then((res) => {
      setDraft(quickDraft(channel, info?.name ?? channel, res.ok ? res.data.points.map((p) => p.max) : [], info?.decimals ?? 1));
    });
  }, [param]);

  // The gateway checks the draft as it is typed (debounced), with the same schema as the file.
  useEffect(() => {
    if (!rule || !canEditRules()) return;
    const timer = setTimeout(() => void api<ValidationMsg>("POST", "api/rules/validate", rule).then((res) => res.ok && setCheck(res.data)), 300);
    return () => clearTimeout(timer);
  }, [JSON.stringify(rule)]);

  // Replayed over stored history once the draft is valid, for the chosen range.
  useEffect(() => {
    if (!rule || !canEditRules() || check.problems.length || !check.matches.length) return setResult(undefined);
    let current = true;
    const timer = setTimeout(() => {
      void backtestInTurn(rule, `now-${rangeId}`, () => current).then((res) => {
        if (!current || !res) return;
        setResult(res.ok ? res.data : undefined);
        setStatus(res.ok ? { text: "", error: false } : { text: t("error.refused", { error: res.error }), error: true });
      });
    }, 500);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [JSON.stringify(rule), JSON.stringify(check), rangeId]);

  useEffect(() => {
    if (!saved || !canEditRules()) return;
    const { source: _s, enabled: _e, version: _v, updatedAt: _a, updatedBy: _b, matches: _m, ...spec } = saved;
    let current = true;
    void backtestInTurn(spec, `now-${rangeId}`, () => current).then((res) => current && res && setSavedResult(res.ok ? res.data : undefined));
    return () => {
      current = false;
    };
  }, [saved, rangeId]);

  useEffect(() => {
    if (!chartChannel) return setPoints([]);
    void api<{ points: Point[] }>("GET", `api/history?channel=${encodeURIComponent(chartChannel)}&from=now-${range.id}&to=now&step=${range.step}`).then((res) => setPoints(res.ok ? res.data.points : []));
  }, [chartChannel, rangeId]);

  useEffect(() => {
    if (!host.current || !chartChannel || !draft) return;
    const info = channelInfo(chartChannel);
    const lines: ThresholdMsg[] = [];
    const limit = Number(draft.limit);
    if ((draft.kind === "above" || draft.kind === "below") && Number.isFinite(limit)) {
      lines.push({ channel: chartChannel, rule: t("rules.limit"), severity: draft.severity, kind: draft.kind, value: limit });
      // Drawn as where it clears: below the clear level of an "above" rule, and the other way round.
      if (draft.clear !== "" && Number.isFinite(Number(draft.clear))) lines.push({ channel: chartChannel, rule: t("rules.clear"), severity: "info", kind: draft.kind === "above" ? "below" : "above", value: Number(draft.clear) });
    }
    const color = "#4cc9f0";
    const plot = new uPlot(
      {
        width: host.current.clientWidth || 800,
        height: 300,
        scales: { x: { time: true } },
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), plantTimeZone.value),
        axes: [{ ...AXIS }, { ...AXIS, label: info?.unit ?? "", size: 60 }],
        series: [{}, { label: info?.name ?? chartChannel, stroke: color, width: 2, value: (_u, v) => (v == null ? "–" : formatValue(v, info?.decimals)) }, { label: t("channel.max"), stroke: `${color}55`, value: (_u, v) => (v == null ? "–" : formatValue(v, info?.decimals)) }],
        hooks: {
          draw: [
            (u) => {
              drawIntervals(u, result, chartChannel);
              drawThresholds(u, lines, true);
            },
          ],
        },
      },
      [points.map((p) => p.t / 1000), points.map((p) => p.mean), points.map((p) => p.max)] as AlignedData,
      host.current,
    );
    plot.setScale("x", { min: (Date.now() - range.ms) / 1000, max: Date.now() / 1000 });
    return () => plot.destroy();
  }, [points, result, draft?.limit, draft?.clear, draft?.kind, draft?.severity, language.value, plantTimeZone.value]);

  // Limits stay in the channels' own unit, as stored and evaluated: the editor never converts them.
  const celsiusShownAsF = [chartChannel, ...check.matches].some((id) => id !== undefined && converted(channelInfo(id)?.unit ?? "", temperatureUnit.value));
  if (!draft) return <section class="panel page">{status.text && <p class="error">{status.text}</p>}</section>;
  const set = (patch: Partial<Draft>) => setDraft({ ...draft, ...patch });
  const field = (key: keyof Draft) => ({
    value: draft[key] as string,
    disabled: readOnly,
    onInput: (e: Event) => set({ [key]: (e.target as HTMLInputElement).value } as Partial<Draft>),
  });

  const save = async (e: Event) => {
    e.preventDefault();
    const body = { ...rule!, enabled: draft.enabled };
    const res = saved ? await api("PUT", `api/rules/${encodeURIComponent(saved.id)}`, body, ifMatch(saved.version)) : await api("POST", "api/rules", body);
    if (res.ok) location.hash = "#/rules";
    else setStatus({ text: t("error.refused", { error: res.error }), error: true });
  };

  return (
    <section class="panel page page-wide rule-editor" aria-labelledby="rule-title">
      <h1 id="rule-title">{editing ? t("rules.editTitle", { id: draft.id }) : t("rules.newTitle")}</h1>
      {saved?.source === "file" && <p class="hint">{t("rules.fileOwned")}</p>}
      {!canEditRules() && <p class="hint">{t("rules.readOnly", { role: me.value?.role ?? "" })}</p>}
      <form class="rule-form" onSubmit={(e) => void save(e)}>
        <label>
          {t("rules.id")}
          <input name="rule-id" required {...field("id")} disabled={readOnly || editing} />
        </label>
        <label>
          {t("rules.name")}
          <input name="rule-name" {...field("name")} />
        </label>
        <label>
          {t("rules.channels")}
          <input name="rule-channels" {...field("channels")} aria-describedby="rule-matches" />
        </label>
        <p class="hint" id="rule-matches">
          {check.matches.length ? t("rules.matches", { list: check.matches.join(", ") }) : t("rules.matchesNone")}
        </p>
        <label>
          {t("rules.severity")}
          <select name="rule-severity" {...field("severity")} onChange={(e) => set({ severity: (e.target as HTMLSelectElement).value as Draft["severity"] })}>
            {(["critical", "warning", "info"] as const).map((s) => (
              <option key={s} value={s}>
                {t(`severity.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("rules.condition")}
          <select name="rule-kind" {...field("kind")} onChange={(e) => set({ kind: (e.target as HTMLSelectElement).value as Draft["kind"] })}>
            {(["above", "below", "rate", "noData", "advanced"] as const).map((k) => (
              <option key={k} value={k}>
                {t(`rules.kind.${k}`)}
              </option>
            ))}
          </select>
        </label>
        {draft.kind !== "noData" && celsiusShownAsF && <p class="hint rule-unit-hint">{t("rules.unitHint", { unit: CELSIUS, shown: shownUnit(CELSIUS, temperatureUnit.value) })}</p>}
        {(draft.kind === "above" || draft.kind === "below") && (
          <>
            <label>
              {t(draft.kind === "above" ? "rules.firesAbove" : "rules.firesBelow")}
              <input name="rule-limit" inputMode="decimal" required {...field("limit")} />
            </label>
            <label>
              {t("rules.clearsAt")}
              <input name="rule-clear" inputMode="decimal" {...field("clear")} />
            </label>
          </>
        )}
        {draft.kind === "rate" && (
          <>
            <label>
              {t("rules.rateDirection")}
              <select name="rule-rate-direction" {...field("rateDirection")} onChange={(e) => set({ rateDirection: (e.target as HTMLSelectElement).value as Draft["rateDirection"] })}>
                <option value="above">{t("rules.rateRising")}</option>
                <option value="below">{t("rules.rateFalling")}</option>
              </select>
            </label>
            <label>
              {t("rules.rateLimit")}
              <input name="rule-limit" inputMode="decimal" required {...field("limit")} />
            </label>
            <label>
              {t("rules.per")}
              <input name="rule-per" {...field("per")} />
            </label>
          </>
        )}
        {draft.kind === "noData" && (
          <label>
            {t("rules.noDataFor")}
            <input name="rule-nodata" {...field("noData")} />
          </label>
        )}
        {draft.kind === "advanced" && (
          <label>
            {t("rules.whenJson")}
            <textarea name="rule-when" rows={4} {...field("whenJson")} />
          </label>
        )}
        <label>
          {t("rules.for")}
          <input name="rule-for" placeholder="0s" {...field("forText")} />
        </label>
        <label>
          {t("rules.clearFor")}
          <input name="rule-clear-for" placeholder="0s" {...field("clearForText")} />
        </label>
        <label>
          {t("rules.description")}
          <input name="rule-description" {...field("description")} />
        </label>
        <label>
          {t("rules.labels")}
          <input name="rule-labels" placeholder="area=spindle" {...field("labels")} />
        </label>
        <label class="inline">
          <input type="checkbox" name="rule-enabled" checked={draft.enabled} disabled={readOnly} onChange={(e) => set({ enabled: (e.target as HTMLInputElement).checked })} />
          {t("rules.enabled")}
        </label>
        <ul class="problems" aria-live="polite">
          {check.problems.map((p) => (
            <li key={p} class="error">
              {p}
            </li>
          ))}
          {check.warnings.map((w) => (
            <li key={w} class="hint">
              {w}
            </li>
          ))}
        </ul>
        {editing && !readOnly && <p class="hint">{t("rules.restartHint")}</p>}
        {!readOnly && (
          <button type="submit" disabled={check.problems.length > 0}>
            {t("rules.save")}
          </button>
        )}
      </form>
      {canEditRules() && (
        <div class="backtest" aria-labelledby="backtest-title">
          <h2 id="backtest-title">{t("rules.backtest")}</h2>
          <div class="range" role="group" aria-label={t("channel.range")}>
            {BACKTEST_RANGES.map((id) => (
              <button key={id} type="button" data-range-id={id} aria-pressed={id === rangeId} class={id === rangeId ? "active" : undefined} onClick={() => setRangeId(id)}>
                {id}
              </button>
            ))}
          </div>
          <p class="hint">{t("rules.backtestHint")}</p>
          {result && result.resolution !== "raw" && (
            <p class="hint approximate">
              {t("rules.approximate", { time: plantTime(result.rawFrom, { dateStyle: "short", timeStyle: "short" }) })}
            </p>
          )}
          <div class="backtest-results" data-state={result ? "done" : "waiting"}>
            <Summary result={result} label={t("rules.thisRule")} />
            {saved && <Summary result={savedResult} label={t("rules.asSaved")} />}
          </div>
          <div class="channel-chart" ref={host} />
        </div>
      )}
      <p class={status.error ? "error" : "ok"} role="status" aria-live="polite">
        {status.text}
      </p>
    </section>
  );
}
