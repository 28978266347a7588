import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, serviceNodeOptions } from "../test/helpers/gateway.js";

/** A section of docs/benchmarks.md that `--only NAME` can measure again on its own. */
export const marked = (name: string, body: string) => `<!-- ${name} -->\n${body}\n<!-- /${name} -->`;

/**
 * Replaces one marked section of docs/benchmarks.md (or adds it before the soak), keeping the rest of
 * the last full run. Its footer says how node ran the gateway, unless the section runs none.
 */
export function updateSection(name: string, body: string, { runsGateway = true } = {}): void {
  const file = join(ROOT, "docs/benchmarks.md");
  const text = readFileSync(file, "utf8");
  const when = new Date().toISOString().slice(0, 16).replace("T", " ");
  const section = marked(name, `${body.trimEnd()}\n\n_This section: \`npm run bench -- --only ${name}\`, measured ${when} UTC on Node ${process.versions.node}${runsGateway ? `, the gateway as the systemd unit runs it (\`NODE_OPTIONS="${serviceNodeOptions()}"\`)` : ""}; the rest of the page is from the last full run._`);
  const re = new RegExp(`<!-- ${name} -->[\\s\\S]*?<!-- /${name} -->`);
  writeFileSync(file, re.test(text) ? text.replace(re, () => section) : text.replace("## Soak", () => `${section}\n\n## Soak`));
  console.log(`updated the ${name} section of docs/benchmarks.md`);
}

/** The marked sections of `previous` that `next` does not have, put back before its soak: a full run keeps what only `--only` measures. */
export function keepOnlySections(previous: string, next: string): string {
  const kept: string[] = [];
  for (const m of previous.matchAll(/<!-- ([a-z]+) -->[\s\S]*?<!-- \/\1 -->/g)) if (!next.includes(`<!-- ${m[1]} -->`)) kept.push(m[0]);
  return kept.length ? next.replace("## Soak", () => `${kept.join("\n\n")}\n\n## Soak`) : next;
}
