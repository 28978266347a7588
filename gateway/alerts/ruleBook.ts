import type { Db } from "../storage/db.js";
import { AlertError } from "./engine.js";
import type { Rule } from "./schema.js";

export interface RuleEntry {
  rule: Rule;
  /** file: from the configuration file, read-only here; ui: made in the dashboard or the API. */
  source: "file" | "ui";
  enabled: boolean;
  /** Increases with every change; the ETag that edits must name. */
  version: number;
  updatedAt: number | null;
  updatedBy: string | null;
}

export interface RuleChange {
  at: number;
  by: string;
  action: "created" | "updated" | "deleted";
  old: (Rule & { enabled: boolean }) | null;
  new: (Rule & { enabled: boolean }) | null;
}

/** A change as notifiers announce it. */
export interface RuleChangeEvent {
  rule: string;
  at: number;
  by: string;
  action: RuleChange["action"];
}

type Row = { id: string; rule: string; enabled: number; version: number; updated_at: number; updated_by: string };

/**
 * All alert rules: the configuration file's (read-only, as Grafana's provisioned rules are) and
 * those made in the dashboard, kept in SQLite with a trail of every change. `onChange` gets the
 * enabled rules after each change, so the engine applies them at once.
 */
export class RuleBook {
  private fileRules: Rule[];
  private readonly listeners = new Set<(e: RuleChangeEvent) => void>();
  /** Changes recorded in the current transaction, announced once it is committed. */
  private recorded: RuleChangeEvent[] = [];

  constructor(
    private readonly db: Db,
    fileRules: Rule[],
    private readonly onChange: (active: Rule[]) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.fileRules = fileRules;
  }

  subscribe(listener: (e: RuleChangeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The rules the engine should run. */
  active(): Rule[] {
    return this.list()
      .filter((e) => e.enabled)
      .map((e) => e.rule);
  }

  list(): RuleEntry[] {
    const fileIds = new Set(this.fileRules.map((r) => r.id));
    const ui = (this.db.prepare("SELECT * FROM rules ORDER BY id").all() as Row[]).filter((r) => !fileIds.has(r.id)).map(entryOf);
    return [...this.fileRules.map((rule): RuleEntry => ({ rule, source: "file", enabled: true, version: 0, updatedAt: null, updatedBy: null })), ...ui];
  }

  get(id: string): RuleEntry | undefined {
    return this.list().find((e) => e.rule.id === id);
  }

  create(rule: Rule, enabled: boolean, by: string): RuleEntry {
    if (this.get(rule.id)) throw new AlertError(409, `a rule with id "${rule.id}" exists already`);
    const at = this.now();
    this.commit(() => {
      this.db.prepare("INSERT INTO rules (id, rule, enabled, version, updated_at, updated_by) VALUES (?, ?, ?, 1, ?, ?)").run(rule.id, JSON.stringify(rule), enabled ? 1 : 0, at, by);
      this.record(rule.id, at, by, "created", null, { ...rule, enabled });
    });
    return this.get(rule.id)!;
  }

  update(id: string, rule: Rule, enabled: boolean, by: string, version: number): RuleEntry {
    const current = this.editable(id, version);
    if (rule.id !== id) throw new AlertError(400, `id: the rule's id is "${id}"; to rename it, duplicate it and delete this one`);
    const at = this.now();
    this.commit(() => {
      this.db.prepare("UPDATE rules SET rule = ?, enabled = ?, version = version + 1, updated_at = ?, updated_by = ? WHERE id = ?").run(JSON.stringify(rule), enabled ? 1 : 0, at, by, id);
      this.record(id, at, by, "updated", { ...current.rule, enabled: current.enabled }, { ...rule, enabled });
    });
    return this.get(id)!;
  }

  remove(id: string, by: string, version: number): void {
    const current = this.editable(id, version);
    this.commit(() => {
      this.db.prepare("DELETE FROM rules WHERE id = ?").run(id);
      this.record(id, this.now(), by, "deleted", { ...current.rule, enabled: current.enabled }, null);
    });
  }

  /** Rules from YAML: new ones are created, the dashboard's own are updated, all or none. */
  importRules(rules: Rule[], by: string): { created: string[]; updated: string[] } {
    const fileIds = new Set(this.fileRules.map((r) => r.id));
    const owned = rules.filter((r) => fileIds.has(r.id)).map((r) => r.id);
    if (owned.length) throw new AlertError(409, `defined in the configuration file, so not imported: ${owned.join(", ")}`);
    const ids = rules.map((r) => r.id);
    const dupes = ids.filter((id, i) => ids.indexOf(id) !== i);
    if (dupes.length) throw new AlertError(400, `the same id more than once: ${[...new Set(dupes)].join(", ")}`);
    const result = { created: [] as string[], updated: [] as string[] };
    const at = this.now();
    this.commit(() => {
      for (const rule of rules) {
        const current = this.get(rule.id);
        if (current) {
          this.db.prepare("UPDATE rules SET rule = ?, version = version + 1, updated_at = ?, updated_by = ? WHERE id = ?").run(JSON.stringify(rule), at, by, rule.id);
          this.record(rule.id, at, by, "updated", { ...current.rule, enabled: current.enabled }, { ...rule, enabled: current.enabled });
          result.updated.push(rule.id);
        } else {
          this.db.prepare("INSERT INTO rules (id, rule, enabled, version, updated_at, updated_by) VALUES (?, ?, 1, 1, ?, ?)").run(rule.id, JSON.stringify(rule), at, by);
          this.record(rule.id, at, by, "created", null, { ...rule, enabled: true });
          result.created.push(rule.id);
        }
      }
    });
    return result;
  }

  changes(id: string, limit = 200): RuleChange[] {
    const rows = this.db.prepare("SELECT at, by, action, old, new FROM rule_changes WHERE rule = ? ORDER BY seq DESC LIMIT ?").all(id, limit) as Array<{ at: number; by: string; action: RuleChange["action"]; old: string | null; new: string | null }>;
    return rows.map((r) => ({ at: r.at, by: r.by, action: r.action, old: r.old ? JSON.parse(r.old) : null, new: r.new ? JSON.parse(r.new) : null }));
  }

  /** A reloaded configuration file: its rules replace the file's old ones. */
  setFileRules(rules: Rule[]): void {
    this.fileRules = rules;
    this.onChange(this.active());
  }

  private editable(id: string, version: number): RuleEntry {
    const current = this.get(id);
    if (!current) throw new AlertError(404, "no such rule");
    if (current.source === "file") throw new AlertError(409, "this rule is defined in the configuration file: change it there (or duplicate it here)");
    if (current.version !== version) throw new AlertError(409, `the rule was changed meanwhile (now version ${current.version}, this edit was made on ${version}): load it again`);
    return current;
  }

  /** Writes the change and its audit rows in one transaction; then the engine and notifiers hear of it. */
  private commit(write: () => void): void {
    try {
      this.db.transaction(write)();
    } catch (err) {
      this.recorded = [];
      throw err;
    }
    this.onChange(this.active());
    const events = this.recorded;
    this.recorded = [];
    for (const e of events) for (const l of this.listeners) l(e);
  }

  private record(id: string, at: number, by: string, action: RuleChange["action"], old: object | null, next: object | null): void {
    this.recorded.push({ rule: id, at, by, action });
    this.db.prepare("INSERT INTO rule_changes (rule, at, by, action, old, new) VALUES (?, ?, ?, ?, ?, ?)").run(id, at, by, action, old && JSON.stringify(old), next && JSON.stringify(next));
  }
}

function entryOf(r: Row): RuleEntry {
  return { rule: JSON.parse(r.rule) as Rule, source: "ui", enabled: r.enabled === 1, version: r.version, updatedAt: r.updated_at, updatedBy: r.updated_by };
}
