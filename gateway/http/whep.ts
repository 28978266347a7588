import type { FastifyInstance, FastifyReply } from "fastify";
import { BadOfferError } from "../webrtc/viewerSession.js";
import { ViewerLimitError, type Sessions } from "../webrtc/sessions.js";
import { BadFragError, parseSdpFrag } from "./sdpfrag.js";

const SESSION_PATH = "/whep/sessions/";

function looksLikeSdp(body: unknown): body is string {
  return typeof body === "string" && body.startsWith("v=0") && /^m=/m.test(body);
}

function requireType(type: string, reply: FastifyReply, expected: string): boolean {
  if (type.split(";")[0].trim().toLowerCase() === expected) return true;
  void reply.code(415).header("Accept", expected).send({ error: `expected Content-Type ${expected}` });
  return false;
}

/** WHEP (draft-ietf-wish-whep): POST an offer, PATCH trickle candidates, DELETE to leave. */
export function registerWhep(app: FastifyInstance, sessions: Sessions): void {
  for (const type of ["application/sdp", "application/trickle-ice-sdpfrag"]) {
    app.addContentTypeParser(type, { parseAs: "string" }, (_req, body, done) => done(null, body));
  }

  app.post("/whep", { config: { access: "viewer" } }, async (req, reply) => {
    if (!requireType(req.headers["content-type"] ?? "", reply, "application/sdp")) return reply;
    if (!looksLikeSdp(req.body)) return reply.code(400).send({ error: "body is not an SDP offer (must start with v=0 and have an m= line)" });
    try {
      const { session, answer } = await sessions.create(req.body);
      return reply
        .code(201)
        .header("Content-Type", "application/sdp")
        .header("Location", `${SESSION_PATH}${session.id}`)
        .header("ETag", `"${session.id.slice(0, 8)}"`)
        .send(answer);
    } catch (err) {
      if (err instanceof ViewerLimitError) return reply.code(503).header("Retry-After", "10").send({ error: err.message });
      if (err instanceof BadOfferError) return reply.code(400).send({ error: err.message });
      throw err;
    }
  });

  app.patch<{ Params: { id: string } }>(`${SESSION_PATH}:id`, { config: { access: "viewer" } }, async (req, reply) => {
    const session = sessions.get(req.params.id);
    if (!session) return reply.code(404).send({ error: "no such session" });
    if (!requireType(req.headers["content-type"] ?? "", reply, "application/trickle-ice-sdpfrag")) return reply;
    let frag;
    try {
      frag = parseSdpFrag(String(req.body ?? ""));
    } catch (err) {
      if (err instanceof BadFragError) return reply.code(400).send({ error: err.message });
      throw err;
    }
    if (frag.ufrag && frag.ufrag !== session.remoteIceUfrag()) {
      return reply.code(422).send({ error: "ICE restart is not supported on this session; POST a new offer" });
    }
    try {
      await session.addIceCandidates(frag.candidates);
    } catch (err) {
      return reply.code(400).send({ error: `candidate rejected: ${(err as Error).message}` });
    }
    return reply.code(204).send();
  });

  app.delete<{ Params: { id: string } }>(`${SESSION_PATH}:id`, { config: { access: "viewer" } }, async (req, reply) => {
    const session = sessions.get(req.params.id);
    if (!session) return reply.code(404).send({ error: "no such session" });
    await session.close("viewer left");
    return reply.code(200).send();
  });
}
