import { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { parseCid, type ContentStore } from "../incidents/contentStore.js";
import type { IncidentStore } from "../incidents/incidentStore.js";
import { perUserWrites } from "./writeLimits.js";

const CID_HELP = "expected the CIDv1 of an incident record (bafy…)";

/**
 * Incident records: the list, a record's manifest, its export as a CAR v1 file, and pins (a
 * pinned firing's records are kept beyond retention and the disk budget; together at most
 * `maxPinnedBytes`, so that pins cannot fill the disk).
 */
export function registerIncidentsApi(app: FastifyInstance, store: IncidentStore, content: ContentStore, maxPinnedBytes: number): void {
  app.get("/api/incidents", { config: { access: "viewer" } }, async () => store.list());

  app.get<{ Params: { cid: string } }>("/api/incidents/:cid", { config: { access: "viewer" } }, async (req, reply) => {
    const asCar = req.params.cid.endsWith(".car");
    const cid = parseCid(asCar ? req.params.cid.slice(0, -4) : req.params.cid);
    if (!cid) return reply.code(400).send({ error: `${CID_HELP}, optionally followed by .car` });
    const incident = store.byCid(cid.toString());
    if (!incident || !(await content.has(cid))) return reply.code(404).send({ error: "no incident record with this CID here" });
    if (asCar) {
      return reply
        .type("application/vnd.ipld.car; version=1")
        .header("Content-Disposition", `attachment; filename="${cid}.car"`)
        .header("Cache-Control", "private, max-age=31536000, immutable")
        .send(Readable.from(content.car(cid, (err) => req.log.error({ err: err.message, cid: cid.toString() }, "CAR export ended early"))));
    }
    const manifest = await content.readFile(cid, "manifest.json");
    return { incident, manifest: manifest ? JSON.parse(Buffer.from(manifest).toString("utf8")) : null };
  });

  const pin = (pinned: boolean) => async (req: FastifyRequest<{ Params: { cid: string } }>, reply: FastifyReply) => {
    const cid = parseCid(req.params.cid);
    if (!cid) return reply.code(400).send({ error: CID_HELP });
    const row = store.byCid(cid.toString());
    if (!row) return reply.code(404).send({ error: "no incident record with this CID here" });
    if (pinned && row.pinnedBy === null) {
      const bytes = store.latestFor(row.alert, row.firingAt)?.bytes ?? 0;
      if (store.pinnedBytes() + bytes > maxPinnedBytes) {
        return reply.code(409).send({ error: `pinned records may take at most ${(maxPinnedBytes / 1e6).toFixed(1)} MB (incidents.maxPinnedBytes); unpin another first` });
      }
    }
    const by = req.principal!.name;
    store.setPinned(row, pinned ? by : null, Date.now());
    req.log.info({ cid: cid.toString(), alert: row.alert, firingAt: row.firingAt, by }, pinned ? "incident record pinned" : "incident record unpinned");
    return store.byCid(cid.toString());
  };
  const writes = { config: { access: "operator", rateLimit: perUserWrites("incidentPins") } } as const;
  app.put("/api/incidents/:cid/pin", writes, pin(true));
  app.delete("/api/incidents/:cid/pin", writes, pin(false));
}
