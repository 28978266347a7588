/** A JSON request to the gateway: the parsed answer, or the gateway's own error message. */
export async function api<T>(method: string, url: string, body?: object): Promise<{ ok: true; data: T } | { ok: false; error: string }> {
  const res = await fetch(url, {
    method,
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
    credentials: "same-origin",
  });
  if (res.ok) return { ok: true, data: (res.status === 204 ? undefined : await res.json()) as T };
  const error = ((await res.json().catch(() => ({}))) as { error?: string }).error ?? `HTTP ${res.status}`;
  return { ok: false, error };
}
