import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { CHANNEL_ID } from "../../sensors/index.js";
import { WorkerBusyError } from "../../common/idleWorker.js";
import { HistoryQueryError, type HistoryStore } from "../history/historyStore.js";

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Epoch milliseconds, an ISO 8601 time, "now" or "now-6h" (Grafana style). */
export function parseTime(text: string, now: number): number | undefined {
  const rel = /^now(?:-(\d+)([smhd]))?$/.exec(text);
  if (rel) return rel[1] ? now - Number(rel[1]) * UNITS[rel[2]] : now;
  if (/^\d{10,16}$/.test(text)) return Number(text);
  if (/^\d{4}-\d{2}-\d{2}T/.test(text)) {
    const t = Date.parse(text);
    return Number.isFinite(t) ? t : undefined;
  }
  return undefined;
}

const query = z
  .object({
    channel: z.string().regex(CHANNEL_ID),
    from: z.string().default("now-1h"),
    to: z.string().default("now"),
    step: z.string().regex(/^\d+(ms|s|m|h)?$/).optional(),
    format: z.enum(["json", "csv"]).default("json"),
  })
  .strict();

export function registerHistoryApi(app: FastifyInstance, history: HistoryStore): void {
  app.get("/api/history", { config: { access: "viewer" } }, async (req, reply) => {
    const q = query.safeParse(req.query);
    if (!q.success) return reply.code(400).send({ error: "expected ?channel=ID&from=now-1h&to=now&step=10s&format=json|csv" });
    const now = Date.now();
    const from = parseTime(q.data.from, now);
    const to = parseTime(q.data.to, now);
    if (from === undefined || to === undefined) return reply.code(400).send({ error: "from/to: epoch ms, ISO 8601, now or now-6h" });
    let step = Math.max(1000, Math.ceil((to - from) / 1000));
    if (q.data.step) {
      const [, n, unit] = /^(\d+)(ms|s|m|h)?$/.exec(q.data.step)!;
      step = Number(n) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as Record<string, number>)[unit ?? "ms"];
    }
    let points;
    try {
      points = await history.query(q.data.channel, from, to, step);
    } catch (err) {
      if (err instanceof HistoryQueryError) return reply.code(400).send({ error: err.message });
      if (err instanceof WorkerBusyError) return reply.code(503).header("Retry-After", "1").send({ error: "the gateway is busy reading history: try again in a moment" });
      throw err;
    }
    if (q.data.format === "csv") {
      const rows = points.map((p) => `${new Date(p.t).toISOString()},${p.mean},${p.min},${p.max}`);
      return reply
        .type("text/csv; charset=utf-8")
        .header("Content-Disposition", `attachment; filename="${q.data.channel}.csv"`)
        .send(`time,mean,min,max\n${rows.join("\n")}${rows.length ? "\n" : ""}`);
    }
    // Times near a jump of the gateway's clock may be off by its size: see docs/deployment.md.
    return { channel: q.data.channel, from, to, step, points, clockJumps: history.clockJumps(from, to) };
  });
}
