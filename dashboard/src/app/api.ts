/**
 * A JSON request to the gateway: the parsed answer, or the gateway's own error message with every
 * problem it lists (an invalid rule's key paths).
 */
export async function api<T>(method: string, url: string, body?: object, headers: Record<string, string> = {}): Promise<{ ok: true; data: T } | { ok: false; error: string }> {
  const res = await fetch(url, {
    method,
    headers: { ...(body ? { "Content-Type": "application/json" } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
    credentials: "same-origin",
  });
  if (res.ok) return { ok: true, data: (res.status === 204 ? undefined : await res.json()) as T };
  const answer = (await res.json().catch(() => ({}))) as { error?: string; problems?: string[] };
  return { ok: false, error: [answer.error ?? `HTTP ${res.status}`, ...(answer.problems ?? [])].join("; ") };
}

/** The header an edit of a dashboard rule sends: the version it was made on. */
export const ifMatch = (version: number) => ({ "If-Match": `"ui-${version}"` });
