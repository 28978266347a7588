import type { FastifyInstance, FastifyReply } from "fastify";
import { parseDocument, stringify } from "yaml";
import { z } from "zod";
import type { ChannelInfo } from "../../sensors/index.js";
import type { BacktestRunner } from "../alerts/backtestRunner.js";
import { AlertError } from "../alerts/engine.js";
import type { RuleBook, RuleEntry } from "../alerts/ruleBook.js";
import { matchesChannel, type Rule } from "../alerts/schema.js";
import { parseRule } from "../config/load.js";
import type { BacktestMsg, RuleMsg, ValidationMsg } from "../protocol/rules.js";
import { parseTime } from "./historyApi.js";
import { perUserWrites } from "./writeLimits.js";

export interface RulesApiDeps {
  book: RuleBook;
  backtests: BacktestRunner;
  channels: () => ChannelInfo[];
}

const etag = (e: RuleEntry) => `"${e.source}-${e.version}"`;

/** The version an If-Match header names: `"ui-3"` (or W/"ui-3"). */
function ifMatch(header: string | undefined): number | undefined {
  const m = /^(?:W\/)?"ui-(\d+)"$/.exec(header?.trim() ?? "");
  return m ? Number(m[1]) : undefined;
}

/** A rule as the API shows it: the YAML shape, plus where it comes from and whether it runs. */
function ruleMsg(e: RuleEntry, channels: ChannelInfo[]): RuleMsg {
  return { ...e.rule, source: e.source, enabled: e.enabled, version: e.version, updatedAt: e.updatedAt, updatedBy: e.updatedBy, matches: matching(e.rule, channels).map((c) => c.id) };
}

const matching = (rule: Rule, channels: ChannelInfo[]) => channels.filter((c) => rule.channels.some((p) => matchesChannel(p, c.id)));

/** A body as a rule: the YAML fields, plus `enabled`; what the API adds when it shows one is ignored. */
function ruleFromBody(body: unknown): { rule: Rule; enabled: boolean } | { problems: string[] } {
  if (!body || typeof body !== "object" || Array.isArray(body)) return { problems: ["(rule): expected a JSON object"] };
  const { enabled, source: _source, version: _version, updatedAt: _at, updatedBy: _by, matches: _matches, ...rest } = body as Record<string, unknown>;
  if (enabled !== undefined && typeof enabled !== "boolean") return { problems: ["enabled: expected true or false"] };
  const parsed = parseRule(rest);
  return parsed.ok ? { rule: parsed.rule, enabled: enabled ?? true } : { problems: parsed.problems };
}

function fail(reply: FastifyReply, err: unknown) {
  if (err instanceof AlertError) return reply.code(err.status).send({ error: err.message });
  throw err;
}

const backtestBody = z.object({ rule: z.unknown(), from: z.union([z.string(), z.number()]).default("now-24h"), to: z.union([z.string(), z.number()]).default("now") }).strict();
const importBody = z.object({ yaml: z.string().max(262_144) }).strict();

/**
 * Alert rules over HTTP: everyone signed in reads them and their history of changes; engineers
 * create, change, delete, import and backtest them. Edits name the version they were made on
 * (If-Match), so the later of two concurrent edits is refused rather than silently winning.
 */
export function registerRulesApi(app: FastifyInstance, deps: RulesApiDeps): void {
  const { book } = deps;
  const warnings = (rule: Rule) => (matching(rule, deps.channels()).length ? [] : ["channels: matches no channel this gateway has (yet); the rule waits for one"]);

  app.get<{ Querystring: { format?: string } }>("/api/rules", { config: { access: "viewer" } }, async (req, reply) => {
    const entries = book.list();
    if (req.query.format === "yaml") {
      const rules = entries.map((e) => e.rule);
      return reply.type("application/yaml; charset=utf-8").header("Content-Disposition", 'attachment; filename="rules.yaml"').send(stringify({ alerts: { rules } }));
    }
    const channels = deps.channels();
    return entries.map((e) => ruleMsg(e, channels));
  });

  app.get<{ Params: { id: string } }>("/api/rules/:id", { config: { access: "viewer" } }, async (req, reply) => {
    const e = book.get(req.params.id);
    if (!e) return reply.code(404).send({ error: "no such rule" });
    return reply.header("ETag", etag(e)).send(ruleMsg(e, deps.channels()));
  });

  app.get<{ Params: { id: string } }>("/api/rules/:id/changes", { config: { access: "viewer" } }, async (req) => book.changes(req.params.id));

  app.post("/api/rules", { config: { access: "engineer", rateLimit: perUserWrites("ruleChanges") } }, async (req, reply) => {
    const input = ruleFromBody(req.body);
    if ("problems" in input) return reply.code(400).send({ error: "invalid rule", problems: input.problems });
    try {
      const e = book.create(input.rule, input.enabled, req.principal!.name);
      return reply.code(201).header("ETag", etag(e)).send({ ...ruleMsg(e, deps.channels()), warnings: warnings(e.rule) });
    } catch (err) {
      return fail(reply, err);
    }
  });

  app.put<{ Params: { id: string } }>("/api/rules/:id", { config: { access: "engineer", rateLimit: perUserWrites("ruleChanges") } }, async (req, reply) => {
    const version = ifMatch(req.headers["if-match"]);
    if (version === undefined) return reply.code(428).send({ error: 'If-Match: send the ETag of the rule as you loaded it (e.g. "ui-3"), so that an edit made meanwhile is not overwritten' });
    const input = ruleFromBody(req.body);
    if ("problems" in input) return reply.code(400).send({ error: "invalid rule", problems: input.problems });
    try {
      const e = book.update(req.params.id, input.rule, input.enabled, req.principal!.name, version);
      return reply.header("ETag", etag(e)).send({ ...ruleMsg(e, deps.channels()), warnings: warnings(e.rule) });
    } catch (err) {
      return fail(reply, err);
    }
  });

  app.delete<{ Params: { id: string } }>("/api/rules/:id", { config: { access: "engineer", rateLimit: perUserWrites("ruleChanges") } }, async (req, reply) => {
    const version = ifMatch(req.headers["if-match"]);
    if (version === undefined) return reply.code(428).send({ error: 'If-Match: send the ETag of the rule as you loaded it (e.g. "ui-3")' });
    try {
      book.remove(req.params.id, req.principal!.name, version);
      return reply.code(204).send();
    } catch (err) {
      return fail(reply, err);
    }
  });

  // The editor checks as the engineer types, with the gateway's own schema and messages; a backtest follows, so its worker is started now.
  app.post("/api/rules/validate", { config: { access: "engineer" } }, async (req): Promise<ValidationMsg> => {
    deps.backtests.warm();
    const input = ruleFromBody(req.body);
    if ("problems" in input) return { problems: input.problems, warnings: [], matches: [] };
    return { problems: [], warnings: warnings(input.rule), matches: matching(input.rule, deps.channels()).map((c) => c.id) };
  });

  app.post("/api/rules/import", { config: { access: "engineer", rateLimit: perUserWrites("ruleChanges") } }, async (req, reply) => {
    const body = importBody.safeParse(req.body);
    if (!body.success) return reply.code(400).send({ error: 'expected JSON {"yaml": "alerts:\\n  rules: …"}' });
    const doc = parseDocument(body.data.yaml, { uniqueKeys: true });
    if (doc.errors.length) return reply.code(400).send({ error: "invalid YAML", problems: doc.errors.map((e) => `line ${e.linePos?.[0].line ?? "?"}: ${e.message.split("\n")[0]}`) });
    const js = doc.toJS() as unknown;
    const list = Array.isArray(js) ? js : ((js as { alerts?: { rules?: unknown } })?.alerts?.rules ?? (js as { rules?: unknown })?.rules);
    if (!Array.isArray(list)) return reply.code(400).send({ error: "expected a list of rules, under rules: or alerts: rules:" });
    if (list.length > 500) return reply.code(400).send({ error: "at most 500 rules at once" });
    const problems: string[] = [];
    const rules: Rule[] = [];
    list.forEach((item, i) => {
      const parsed = parseRule(item);
      if (parsed.ok) rules.push(parsed.rule);
      else problems.push(...parsed.problems.map((p) => `rules[${i}].${p}`));
    });
    if (problems.length) return reply.code(400).send({ error: "invalid rules: nothing imported", problems });
    try {
      return book.importRules(rules, req.principal!.name);
    } catch (err) {
      return fail(reply, err);
    }
  });

  app.post("/api/rules/backtest", { config: { access: "engineer" } }, async (req, reply) => {
    const body = backtestBody.safeParse(req.body);
    if (!body.success) return reply.code(400).send({ error: 'expected JSON {"rule": {…}, "from": "now-24h", "to": "now"}' });
    const input = ruleFromBody(body.data.rule);
    if ("problems" in input) return reply.code(400).send({ error: "invalid rule", problems: input.problems });
    const now = Date.now();
    const time = (v: string | number) => (typeof v === "number" ? v : parseTime(v, now));
    const from = time(body.data.from);
    const to = time(body.data.to);
    if (from === undefined || to === undefined) return reply.code(400).send({ error: "from/to: epoch ms, ISO 8601, now or now-6h" });
    try {
      const result: BacktestMsg = await deps.backtests.run(input.rule, matching(input.rule, deps.channels()), from, to);
      return result;
    } catch (err) {
      return fail(reply, err);
    }
  });
}
