import { Readable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { parseCid, type ContentStore } from "../incidents/contentStore.js";
import type { IncidentStore } from "../incidents/incidentStore.js";

const CID_HELP = "expected the CIDv1 of an incident record (bafy…), optionally followed by .car";

/** Incident records: the list, a record's manifest, and its export as a CAR v1 file. */
export function registerIncidentsApi(app: FastifyInstance, store: IncidentStore, content: ContentStore): void {
  app.get("/api/incidents", { config: { access: "viewer" } }, async () => store.list());

  app.get<{ Params: { cid: string } }>("/api/incidents/:cid", { config: { access: "viewer" } }, async (req, reply) => {
    const asCar = req.params.cid.endsWith(".car");
    const cid = parseCid(asCar ? req.params.cid.slice(0, -4) : req.params.cid);
    if (!cid) return reply.code(400).send({ error: CID_HELP });
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
}
