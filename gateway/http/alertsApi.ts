import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { durationSchema } from "../../common/durations.js";
import type { IncidentOf } from "../incidents/incidentStore.js";
import { alertMsg } from "../webrtc/alertStream.js";
import { AlertError, type AlertEngine } from "../alerts/engine.js";
import type { SqliteAlertStore } from "../alerts/sqliteStore.js";
import { perUserWrites } from "./writeLimits.js";

const ackBody = z.object({ note: z.string().max(500).default("") }).strict();
const shelveBody = z.object({ for: durationSchema.nullable() }).strict();

export function registerAlertsApi(app: FastifyInstance, engine: AlertEngine, store: SqliteAlertStore, incidentOf: IncidentOf = () => null): void {
  app.get("/api/alerts", { config: { access: "viewer" } }, async () => engine.list().map((a) => alertMsg(a, incidentOf)));

  app.get<{ Params: { id: string } }>("/api/alerts/:id/events", { config: { access: "viewer" } }, async (req, reply) => {
    if (!engine.get(req.params.id)) return reply.code(404).send({ error: "no such alert" });
    return store.events(req.params.id);
  });

  app.post<{ Params: { id: string } }>("/api/alerts/:id/ack", { config: { access: "operator", rateLimit: perUserWrites("alertActions") } }, async (req, reply) => {
    const body = ackBody.safeParse(req.body ?? {});
    if (!body.success) return reply.code(400).send({ error: 'expected JSON {"note": "optional text"}' });
    try {
      return alertMsg(engine.acknowledge(req.params.id, req.principal!.name, body.data.note), incidentOf);
    } catch (err) {
      if (err instanceof AlertError) return reply.code(err.status).send({ error: err.message });
      throw err;
    }
  });

  app.post<{ Params: { id: string } }>("/api/alerts/:id/shelve", { config: { access: "operator", rateLimit: perUserWrites("alertActions") } }, async (req, reply) => {
    const body = shelveBody.safeParse(req.body);
    if (!body.success) return reply.code(400).send({ error: 'expected JSON {"for": "1h"} to shelve or {"for": null} to unshelve' });
    try {
      return alertMsg(engine.shelve(req.params.id, req.principal!.name, body.data.for), incidentOf);
    } catch (err) {
      if (err instanceof AlertError) return reply.code(err.status).send({ error: err.message });
      throw err;
    }
  });
}
