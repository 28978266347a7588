import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_TOKEN, GatewayProcess } from "../helpers/gateway.js";
import { freePort, waitFor } from "../helpers/ports.js";

const TOKENS = { engineer: "engineer-token-0123456789abcdefghijklmnop", operator: "operator-token-0123456789abcdefghijklmnop", viewer: "viewer-token-0123456789abcdefghijklmnopq" };
type Who = keyof typeof TOKENS | "admin";

describe("alert rules from the API: validation, roles, live apply, audit, versions, YAML, backtest", () => {
  let gw: GatewayProcess;
  let base: string;

  const call = async (who: Who, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(base + path, {
      method,
      headers: { Authorization: `Bearer ${who === "admin" ? API_TOKEN : TOKENS[who]}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, etag: res.headers.get("etag"), body: text && res.headers.get("content-type")?.includes("json") ? JSON.parse(text) : text };
  };
  const warm = { id: "bearing-warm", name: "Bearing warm", channels: ["spindle.bearing"], severity: "info", when: { above: 5, clear: 4 } };

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    gw = new GatewayProcess({
      http: { host: "127.0.0.1", port },
      auth: { tokens: Object.entries(TOKENS).map(([role, token]) => ({ name: role, token, role })) },
      history: { flushInterval: "1s" },
      sources: [{ id: "sim", type: "simulated", microphone: false, thermalFps: 0 }],
      alerts: { rules: [{ id: "bearing-hot", channels: ["spindle.bearing"], severity: "critical", when: { above: 80, clear: 75 }, for: "3s" }] },
    });
    await gw.start();
  });

  afterAll(() => gw?.stop());

  it("lists the file's rules read-only, with the channels they match", async () => {
    const { status, body } = await call("viewer", "GET", "/api/rules");
    expect(status).toBe(200);
    expect(body).toEqual([expect.objectContaining({ id: "bearing-hot", source: "file", enabled: true, matches: ["spindle.bearing"] })]);
    const edit = await call("engineer", "PUT", "/api/rules/bearing-hot", { ...warm, id: "bearing-hot" }, { "If-Match": '"ui-0"' });
    expect(edit.status).toBe(409);
    expect(edit.body.error).toMatch(/configuration file/);
  });

  it("lets engineers, not operators or viewers, create rules, checked as the YAML file is", async () => {
    expect((await call("operator", "POST", "/api/rules", warm)).status).toBe(403);
    expect((await call("viewer", "POST", "/api/rules", warm)).status).toBe(403);
    const bad = await call("engineer", "POST", "/api/rules", { ...warm, when: { above: 5, clear: 9 }, for: "3 seconds", sevrity: "high" });
    expect(bad.status).toBe(400);
    expect(bad.body.problems).toEqual(["when.clear: clear must be at or below the above threshold", 'for: expected a duration such as "500ms", "10s", "5m", "1h" or "90d", got "3 seconds"', 'sevrity: unknown key (did you mean "severity"?)']);
    expect((await call("engineer", "POST", "/api/rules/validate", { ...warm, when: { below: "x" } })).body.problems).toEqual(['when.below: expected number, got "x"']);
    expect((await call("engineer", "POST", "/api/rules/validate", warm)).body).toEqual({ problems: [], warnings: [], matches: ["spindle.bearing"] });
    const nothing = await call("engineer", "POST", "/api/rules", { ...warm, id: "nothing", channels: ["press.*"] });
    expect(nothing.status).toBe(201);
    expect(nothing.body.warnings).toEqual(["channels: matches no channel this gateway has (yet); the rule waits for one"]);
    const created = await call("engineer", "POST", "/api/rules", warm);
    expect(created.status).toBe(201);
    expect(created.etag).toBe('"ui-1"');
    expect(created.body).toMatchObject({ id: "bearing-warm", source: "ui", enabled: true, version: 1, updatedBy: "engineer", matches: ["spindle.bearing"], warnings: [] });
    expect((await call("engineer", "POST", "/api/rules", warm)).status).toBe(409);
  });

  it("applies a new rule at once, without a restart", async () => {
    await waitFor("the new rule's alert", async () => ((await call("viewer", "GET", "/api/alerts")).body as Array<{ id: string; state: string }>).some((a) => a.id === "bearing-warm~spindle.bearing" && a.state === "firing"), 15_000, 250);
  });

  it("takes edits only on the current version, and keeps who changed what", async () => {
    const changed = { ...warm, when: { above: 500 } };
    expect((await call("engineer", "PUT", "/api/rules/bearing-warm", changed)).status).toBe(428);
    expect((await call("engineer", "PUT", "/api/rules/bearing-warm", changed, { "If-Match": '"ui-7"' })).status).toBe(409);
    const ok = await call("engineer", "PUT", "/api/rules/bearing-warm", changed, { "If-Match": '"ui-1"' });
    expect(ok.status).toBe(200);
    expect(ok.etag).toBe('"ui-2"');
    // The same edit made on the old version by someone else now loses.
    const late = await call("admin", "PUT", "/api/rules/bearing-warm", { ...warm, when: { above: 6 } }, { "If-Match": '"ui-1"' });
    expect(late.status).toBe(409);
    expect(late.body.error).toMatch(/changed meanwhile \(now version 2/);
    // The edited rule started afresh: its firing alert resolved, and with the new limit it stays quiet.
    await waitFor("resolved by the edit", async () => ((await call("viewer", "GET", "/api/alerts")).body as Array<{ id: string; state: string }>).find((a) => a.id === "bearing-warm~spindle.bearing")?.state !== "firing", 10_000, 250);
    const trail = await call("viewer", "GET", "/api/rules/bearing-warm/changes");
    expect(trail.body.map((c: { action: string; by: string }) => [c.action, c.by])).toEqual([["updated", "engineer"], ["created", "engineer"]]);
    expect(trail.body[0].old.when).toEqual({ above: 5, clear: 4 });
    expect(trail.body[0].new.when).toEqual({ above: 500 });
  });

  it("exports every rule as YAML and imports YAML all or nothing", async () => {
    const yaml = await call("viewer", "GET", "/api/rules?format=yaml");
    expect(yaml.body).toMatch(/^alerts:\n {2}rules:\n/);
    expect(yaml.body).toContain("id: bearing-hot");
    expect(yaml.body).toContain("id: bearing-warm");
    const bad = await call("engineer", "POST", "/api/rules/import", { yaml: "rules:\n  - id: a\n    channels: [x]\n    when: { above: 1 }\n  - id: b\n    channels: [x]\n    when: { abov: 1 }\n" });
    expect(bad.status).toBe(400);
    expect(bad.body.problems[0]).toMatch(/^rules\[1\]\.when/);
    expect((await call("viewer", "GET", "/api/rules")).body.map((r: { id: string }) => r.id)).not.toContain("a");
    const good = await call("engineer", "POST", "/api/rules/import", { yaml: "alerts:\n  rules:\n    - id: gearbox-hot\n      channels: [gearbox.oil]\n      when: { above: 90 }\n    - id: nothing\n      channels: [press.*]\n      when: { above: 2 }\n" });
    expect(good.body).toEqual({ created: ["gearbox-hot"], updated: ["nothing"] });
    expect((await call("engineer", "POST", "/api/rules/import", { yaml: "- id: bearing-hot\n  channels: [x]\n  when: { above: 1 }\n" })).status).toBe(409);
  });

  it("replays a rule over the stored history before it is saved", async () => {
    // One stored sample a second (history.rawInterval): wait for a few.
    const fires = await waitFor("5 s of history", async () => {
      const r = await call("engineer", "POST", "/api/rules/backtest", { rule: warm, from: "now-10m" });
      return r.body.samples >= 5 ? r : undefined;
    }, 15_000, 500);
    expect(fires.status).toBe(200);
    expect(fires.body).toMatchObject({ resolution: "raw", approximate: null, firings: 1 });
    expect(fires.body.channels[0]).toMatchObject({ channel: "spindle.bearing", intervals: [expect.objectContaining({ state: "firing", end: null })] });
    // The worker and its database connection stay between backtests: a later one sees what was stored since.
    await waitFor("a backtest to see newer samples", async () => {
      const r = await call("engineer", "POST", "/api/rules/backtest", { rule: warm, from: "now-10m" });
      return r.body.samples > fires.body.samples || undefined;
    }, 10_000, 500);
    const quiet = await call("engineer", "POST", "/api/rules/backtest", { rule: { ...warm, when: { above: 500 } }, from: "now-10m" });
    expect(quiet.body.firings).toBe(0);
    expect((await call("operator", "POST", "/api/rules/backtest", { rule: warm })).status).toBe(403);
    expect((await call("engineer", "POST", "/api/rules/backtest", { rule: warm, from: "now-100d" })).body.error).toBe("from: a backtest covers at most 90 days");
    expect((await call("engineer", "POST", "/api/rules/backtest", { rule: { ...warm, channels: ["press.*"] } })).body.error).toBe("channels: the rule matches no channel this gateway has");
    expect((await call("engineer", "POST", "/api/rules/backtest", { rule: { ...warm, when: { above: "hot" } } })).status).toBe(400);
  });

  it("keeps the dashboard's rules across a restart, and deletes them only on the current version", async () => {
    await gw.stop();
    await gw.start();
    const listed = (await call("viewer", "GET", "/api/rules")).body as Array<{ id: string; source: string; version: number }>;
    expect(listed.map((r) => [r.id, r.source, r.version])).toEqual([["bearing-hot", "file", 0], ["bearing-warm", "ui", 2], ["gearbox-hot", "ui", 1], ["nothing", "ui", 2]]);
    expect((await call("engineer", "DELETE", "/api/rules/bearing-warm", undefined, { "If-Match": '"ui-1"' })).status).toBe(409);
    expect((await call("engineer", "DELETE", "/api/rules/bearing-warm", undefined, { "If-Match": '"ui-2"' })).status).toBe(204);
    expect((await call("engineer", "GET", "/api/rules/bearing-warm")).status).toBe(404);
    expect((await call("viewer", "GET", "/api/rules/bearing-warm/changes")).body[0]).toMatchObject({ action: "deleted", by: "engineer", new: null });
  });
});
