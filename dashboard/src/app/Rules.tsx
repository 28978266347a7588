import { useEffect, useState } from "preact/hooks";
import type { RuleChangeMsg, RuleMsg, RuleSpec } from "../../../gateway/protocol/rules.js";
import { api, ifMatch } from "./api.js";
import { t } from "./i18n.js";
import { plantTime } from "./plantTime.js";
import { canEditRules, dataVersion } from "./state.js";

/** A rule's condition in a few words: "> 80 (clear 75) for 3 s". */
export function conditionText(rule: RuleSpec): string {
  const one = (c: Record<string, unknown>): string => {
    if ("above" in c) return `> ${c.above}${c.clear !== undefined ? ` (${t("rules.clear")} ${c.clear})` : ""}`;
    if ("below" in c) return `< ${c.below}${c.clear !== undefined ? ` (${t("rules.clear")} ${c.clear})` : ""}`;
    if ("rate" in c) {
      const r = c.rate as { above?: number; below?: number; per: number };
      return `${t("rules.kind.rate")} ${r.above !== undefined ? `> ${r.above}` : `< ${r.below}`} / ${Math.round(r.per / 1000)} s`;
    }
    if ("noData" in c) return `${t("rules.kind.noData")} ${Math.round((c.noData as number) / 1000)} s`;
    return "";
  };
  const w = rule.when as Record<string, unknown>;
  const text = "any" in w ? (w.any as object[]).map((c) => one(c as Record<string, unknown>)).join(` ${t("rules.or")} `) : "all" in w ? (w.all as object[]).map((c) => one(c as Record<string, unknown>)).join(` ${t("rules.and")} `) : one(w);
  const holdFor = typeof rule.for === "number" && rule.for > 0 ? ` ${t("rules.forShort", { s: rule.for / 1000 })}` : "";
  return text + holdFor;
}

const specOf = (r: RuleMsg): RuleSpec & { enabled: boolean } => {
  const { source: _s, version: _v, updatedAt: _a, updatedBy: _b, matches: _m, ...spec } = r;
  return spec;
};

/**
 * Every alert rule: the configuration file's (read-only, marked so) and the dashboard's, with what
 * each applies to, and for engineers: new, change, duplicate, switch off, delete, each rule's
 * history of changes, and the rules as YAML out and in.
 */
export function RulesPage() {
  const [rules, setRules] = useState<RuleMsg[]>([]);
  const [status, setStatus] = useState<{ text: string; error: boolean }>({ text: "", error: false });
  const [trail, setTrail] = useState<{ id: string; changes: RuleChangeMsg[] } | undefined>();
  const [confirming, setConfirming] = useState<string | undefined>();
  const [yaml, setYaml] = useState("");
  const edit = canEditRules();

  const load = async () => {
    const res = await api<RuleMsg[]>("GET", "api/rules");
    if (res.ok) setRules(res.data);
  };
  useEffect(() => void load(), [dataVersion.value]);

  const report = (res: { ok: boolean; error?: string }, text: string) => {
    setStatus(res.ok ? { text, error: false } : { text: t("error.refused", { error: res.error ?? "" }), error: true });
    if (res.ok) void load();
  };
  const put = async (r: RuleMsg, spec: RuleSpec & { enabled: boolean }, text: string) => {
    report(await api("PUT", `api/rules/${encodeURIComponent(r.id)}`, spec, ifMatch(r.version)), text);
  };
  const remove = async (r: RuleMsg) => {
    setConfirming(undefined);
    report(await api("DELETE", `api/rules/${encodeURIComponent(r.id)}`, undefined, ifMatch(r.version)), t("rules.deleted", { id: r.id }));
  };
  const duplicate = async (r: RuleMsg) => {
    const taken = new Set(rules.map((x) => x.id));
    let id = `${r.id}-copy`;
    for (let n = 2; taken.has(id); n++) id = `${r.id}-copy${n}`;
    const res = await api<RuleMsg>("POST", "api/rules", { ...specOf(r), id, enabled: false });
    report(res, t("rules.duplicated", { id }));
    if (res.ok) location.hash = `#/rule/edit/${encodeURIComponent(id)}`;
  };
  const showTrail = async (r: RuleMsg) => {
    const res = await api<RuleChangeMsg[]>("GET", `api/rules/${encodeURIComponent(r.id)}/changes`);
    setTrail(res.ok ? { id: r.id, changes: res.data } : undefined);
  };
  const importYaml = async (e: Event) => {
    e.preventDefault();
    const res = await api<{ created: string[]; updated: string[] }>("POST", "api/rules/import", { yaml });
    if (res.ok) setYaml("");
    report(res, res.ok ? t("rules.imported", { created: res.data.created.length, updated: res.data.updated.length }) : "");
  };

  return (
    <section class="panel page page-wide" aria-labelledby="rules-title">
      <h1 id="rules-title">{t("rules.title")}</h1>
      {!edit && <p class="hint">{t("rules.readOnlyList")}</p>}
      <div class="channel-tools">
        {edit && (
          <a class="button" href="#/rule/new">
            {t("rules.new")}
          </a>
        )}
        <a class="button" href="api/rules?format=yaml" download="rules.yaml">
          {t("rules.export")}
        </a>
      </div>
      <div class="table-scroll">
        <table class="users rules">
          <thead>
            <tr>
              <th scope="col">{t("rules.name")}</th>
              <th scope="col">{t("rules.condition")}</th>
              <th scope="col">{t("rules.channelsColumn")}</th>
              <th scope="col">{t("rules.state")}</th>
              <th scope="col">
                <span class="visually-hidden">{t("rules.actions")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rules.map((r) => (
              <tr key={r.id} data-rule={r.id} data-source={r.source}>
                <td>
                  <a href={`#/rule/edit/${encodeURIComponent(r.id)}`}>{r.name ?? r.id}</a>
                  <span class={`rule-severity sev-${r.severity}`}> {t(`severity.${r.severity ?? "warning"}`)}</span>
                  {r.source === "file" && (
                    <span class="source-badge" title={t("rules.fileOwned")}>
                      {t("rules.fromFile")}
                    </span>
                  )}
                </td>
                <td>{conditionText(r)}</td>
                <td>
                  {r.channels.join(", ")}
                  <span class="muted"> ({r.matches.length === 1 ? t("rules.matchOne") : t("rules.matchCount", { n: r.matches.length })})</span>
                </td>
                <td>{r.enabled ? t("rules.on") : t("rules.off")}</td>
                <td class="rule-actions">
                  {edit && r.source === "ui" && (
                    <button type="button" name="toggle" onClick={() => void put(r, { ...specOf(r), enabled: !r.enabled }, t(r.enabled ? "rules.disabled" : "rules.enabledNow", { id: r.id }))}>
                      {r.enabled ? t("rules.disable") : t("rules.enable")}
                    </button>
                  )}
                  {edit && (
                    <button type="button" name="duplicate" onClick={() => void duplicate(r)}>
                      {t("rules.duplicate")}
                    </button>
                  )}
                  {r.source === "ui" && (
                    <button type="button" name="changes" onClick={() => void showTrail(r)}>
                      {t("rules.changes")}
                    </button>
                  )}
                  {edit &&
                    r.source === "ui" &&
                    (confirming === r.id ? (
                      <span class="confirm">
                        {t("rules.deleteConfirm", { id: r.id })}{" "}
                        <button type="button" class="danger" onClick={() => void remove(r)}>
                          {t("rules.delete")}
                        </button>{" "}
                        <button type="button" class="link" aria-label={t("alarm.cancel")} onClick={() => setConfirming(undefined)}>
                          ✕
                        </button>
                      </span>
                    ) : (
                      <button type="button" name="delete" onClick={() => setConfirming(r.id)}>
                        {t("rules.delete")}
                      </button>
                    ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {trail && (
        <div class="rule-trail" data-trail={trail.id}>
          <h2>{t("rules.trailTitle", { id: trail.id })}</h2>
          <ol>
            {trail.changes.map((c) => (
              <li key={`${c.at}-${c.action}`} data-action={c.action}>
                {plantTime(c.at, { dateStyle: "short", timeStyle: "short" })}: {t(`rules.action.${c.action}`)} {t("rules.by", { name: c.by })}
                {c.old && c.new && (
                  <span class="muted">
                    {" "}
                    — {conditionText(c.old)} → {conditionText(c.new)}
                    {c.old.enabled !== c.new.enabled ? ` (${c.new.enabled ? t("rules.on") : t("rules.off")})` : ""}
                  </span>
                )}
              </li>
            ))}
          </ol>
        </div>
      )}
      {edit && (
        <form class="rule-import" onSubmit={(e) => void importYaml(e)}>
          <h2>{t("rules.import")}</h2>
          <label>
            {t("rules.importHint")}
            <textarea name="rules-yaml" rows={6} value={yaml} onInput={(e) => setYaml((e.target as HTMLTextAreaElement).value)} />
          </label>
          <button type="submit" disabled={!yaml.trim()}>
            {t("rules.importButton")}
          </button>
        </form>
      )}
      <p class={status.error ? "error" : "ok"} role="status" aria-live="polite">
        {status.text}
      </p>
    </section>
  );
}
