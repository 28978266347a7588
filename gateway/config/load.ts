import { readFileSync } from "node:fs";
import { join } from "node:path";
import { APP_ROOT } from "../appRoot.js";
import { parseDocument } from "yaml";
import { z } from "zod";
import { SOURCE_KINDS, typeOf } from "../../sensors/index.js";
import { configSchema, type Config } from "./schema.js";

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.length} problem(s) in the configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out || "(top level)";
}

function show(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

type Def = { type?: string; shape?: Record<string, unknown>; options?: unknown[]; [k: string]: unknown };
const defOf = (schema: unknown): Def | undefined => (schema as { _zod?: { def?: Def } } | undefined)?._zod?.def;

/** Unwraps defaults, optionals and pipes, and picks the union member whose "type" matches the input. */
function resolve(schema: unknown, node: unknown): unknown {
  for (let def = defOf(schema); def; def = defOf(schema)) {
    if (["default", "optional", "nullable", "prefault"].includes(def.type ?? "")) schema = def.innerType;
    else if (def.type === "pipe") schema = def.in;
    else if (def.type === "union" && Array.isArray(def.options)) {
      const kind = (node as { type?: unknown } | undefined)?.type;
      schema = def.options.find((o) => {
        const values = defOf(defOf(o)?.shape?.type)?.values;
        return Array.isArray(values) && values.includes(kind);
      });
    } else break;
  }
  return schema;
}

/** The keys the schema allows at the given path, to suggest a fix for a misspelt key. */
function knownKeys(path: ReadonlyArray<PropertyKey>, input: unknown): string[] {
  let schema: unknown = configSchema;
  let node = input;
  for (const key of path) {
    const def = defOf(resolve(schema, node));
    if (!def) return [];
    schema = def.type === "object" ? def.shape?.[key as string] : def.type === "array" ? def.element : def.type === "record" ? def.valueType : undefined;
    node = (node as Record<PropertyKey, unknown> | undefined)?.[key];
  }
  const def = defOf(resolve(schema, node));
  return def?.type === "object" && def.shape ? Object.keys(def.shape) : [];
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const where = formatPath(issue.path);
  const got = "input" in issue ? `, got ${show(issue.input)}` : "";
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys
        .map((key) => {
          const suggestion = closest(key, knownKeys(issue.path, input));
          return `${formatPath([...issue.path, key])}: unknown key${suggestion ? ` (did you mean "${suggestion}"?)` : ""}`;
        })
        .join("\n");
    case "invalid_type":
      if (issue.input === undefined) return `${where}: required (expected ${issue.expected})`;
      return `${where}: expected ${issue.expected}${got}`;
    case "invalid_value":
      if (issue.message && !issue.message.startsWith("Invalid")) return `${where}: ${issue.message}${got}`;
      return `${where}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}${got}`;
    case "invalid_union":
      if ("note" in issue && issue.note === "No matching discriminator") {
        return `${where}: expected one of ${SOURCE_KINDS.map((k) => `"${typeOf(k)}"`).join(", ")}${"input" in issue ? `, got ${show((issue.input as Record<string, unknown> | undefined)?.[issue.discriminator ?? ""])}` : ""}`;
      }
      if ("errors" in issue && Array.isArray(issue.errors)) {
        // The branch whose type matched explains best what is wrong (e.g. "10 seconds" for a duration).
        const specific = issue.errors.flat().find((e) => e.code !== "invalid_type" && e.code !== "invalid_union");
        if (specific) return `${where}: ${specific.message}${got}`;
        const types = [...new Set(issue.errors.flat().map((e) => (e.code === "invalid_type" ? e.expected : undefined)).filter(Boolean))];
        if (types.length) return `${where}: expected ${types.join(" or ")}${got}`;
      }
      return `${where}: ${issue.message}${got}`;
    case "too_small":
    case "too_big":
      return `${where}: ${issue.message.replace(/^Too (small|big): /, "")}${got}`;
    case "custom":
      return `${where}: ${issue.message}`;
    default:
      return `${where}: ${issue.message}${got}`;
  }
}

/** Replaces ${NAME} in string values with the environment variable, so secrets stay out of the file. */
export function interpolateEnv(
  node: unknown,
  env: NodeJS.ProcessEnv,
  problems: string[],
  path: PropertyKey[] = [],
): unknown {
  if (typeof node === "string") {
    return node.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const value = env[name];
      if (value === undefined) {
        problems.push(`${formatPath(path)}: environment variable ${name} is not set`);
        return "";
      }
      return value;
    });
  }
  if (Array.isArray(node)) return node.map((v, i) => interpolateEnv(v, env, problems, [...path, i]));
  if (node && typeof node === "object") {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolateEnv(v, env, problems, [...path, k])]));
  }
  return node;
}

export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): Config {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => `YAML syntax at line ${e.linePos?.[0].line ?? "?"}, column ${e.linePos?.[0].col ?? "?"}: ${e.message.split("\n")[0]}`),
    );
  }
  const raw = doc.toJS() ?? {};
  const problems: string[] = [];
  const data = interpolateEnv(raw, env, problems);
  const result = z.safeParse(configSchema, data, { reportInput: true });
  if (!result.success) {
    for (const issue of result.error.issues) problems.push(...describeIssue(issue, data).split("\n"));
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(file, problems);
  return result.data;
}

export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(file, [`cannot read the file: ${(err as Error).message}`]);
  }
  return parseConfig(text, file, env);
}

/** With no configuration file the gateway runs deploy/examples/simulated.yaml: the simulated machine and its demo rules. */
export function defaultConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return loadConfigFile(join(APP_ROOT, "deploy/examples/simulated.yaml"), env);
}
