/**
 * MQTT topic filters with wildcards, and channel-id templates that reuse what the wildcards
 * matched: filter "plant/+/temp" with template "line.{1}" maps "plant/press3/temp" to "line.press3".
 */
export function matchTopic(filter: string, topic: string): string[] | undefined {
  const f = filter.split("/");
  const t = topic.split("/");
  const captures: string[] = [];
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") {
      if (i === 0 && t[0]?.startsWith("$")) return undefined;
      captures.push(t.slice(i).join("."));
      return captures;
    }
    if (i >= t.length) return undefined;
    if (f[i] === "+") {
      if (i === 0 && t[0].startsWith("$")) return undefined;
      captures.push(t[i]);
    } else if (f[i] !== t[i]) {
      return undefined;
    }
  }
  return f.length === t.length ? captures : undefined;
}

export function fillTemplate(template: string, captures: string[]): string {
  return template.replace(/\{(\d+)\}/g, (_, n: string) => captures[Number(n) - 1] ?? "");
}

export function isValidFilter(filter: string): boolean {
  if (filter.length === 0 || filter.length > 1024) return false;
  const levels = filter.split("/");
  return levels.every((level, i) => {
    if (level === "#") return i === levels.length - 1;
    if (level === "+") return true;
    return !level.includes("#") && !level.includes("+");
  });
}

export function wildcardCount(filter: string): number {
  return filter.split("/").filter((l) => l === "+" || l === "#").length;
}
