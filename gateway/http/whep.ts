import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { parsePausedQuery } from "../webrtc/mediaPause.js";
import { BadOfferError, checkOfferCost, RestartTooSoonError, TooManyCandidatesError } from "../webrtc/viewerSession.js";
import { ViewerLimitError, type Sessions } from "../webrtc/sessions.js";
import { linkHeaders } from "../webrtc/iceServers.js";
import { BadFragError, parseSdpFrag } from "./sdpfrag.js";

const SESSION_PATH = "/whep/sessions/";

function looksLikeSdp(body: unknown): body is string {
  return typeof body === "string" && body.startsWith("v=0") && /^m=/m.test(body);
}

/** Refuses other media types before any body parser runs (a JSON body would otherwise fail as bad JSON). */
const requireType = (expected: string) => async (req: FastifyRequest, reply: FastifyReply) => {
  if ((req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase() !== expected) {
    return reply.code(415).header("Accept", expected).send({ error: `expected Content-Type ${expected}` });
  }
};

/** WHEP (draft-ietf-wish-whep): POST an offer, PATCH trickle candidates, DELETE to leave. */
export function registerWhep(app: FastifyInstance, sessions: Sessions, hasSource: (id: string) => boolean): void {
  for (const type of ["application/sdp", "application/trickle-ice-sdpfrag"]) {
    app.addContentTypeParser(type, { parseAs: "string" }, (_req, body, done) => done(null, body));
  }

  const offer = async (req: FastifyRequest, reply: FastifyReply, source: string | undefined) => {
    if (source !== undefined && !hasSource(source)) return reply.code(404).send({ error: `no source "${source}"` });
    if (!looksLikeSdp(req.body)) return reply.code(400).send({ error: "body is not an SDP offer (must start with v=0 and have an m= line)" });
    try {
      checkOfferCost(req.body);
    } catch (err) {
      return reply.code(400).send({ error: (err as Error).message });
    }
    const paused = parsePausedQuery((req.query as Record<string, unknown>).paused);
    if ("error" in paused) return reply.code(400).send({ error: paused.error });
    const iceServers = sessions.iceServers(req.principal?.name ?? "viewer");
    try {
      const { session, answer } = await sessions.create(req.body, { source, paused: paused.paused }, iceServers);
      return reply
        .code(201)
        .header("Content-Type", "application/sdp")
        .header("Location", `${SESSION_PATH}${session.id}`)
        .header("ETag", session.etag)
        .header("Link", linkHeaders(iceServers))
        .send(answer);
    } catch (err) {
      if (err instanceof ViewerLimitError) return reply.code(503).header("Retry-After", String(err.retryAfterSeconds)).send({ error: err.message });
      if (err instanceof BadOfferError) return reply.code(400).send({ error: err.message });
      throw err;
    }
  };

  const sdp = { config: { access: "viewer" as const }, preParsing: requireType("application/sdp") };
  app.post("/whep", sdp, (req, reply) => offer(req, reply, undefined));
  app.post<{ Params: { source: string } }>("/whep/:source", sdp, (req, reply) => offer(req, reply, req.params.source));

  /** The STUN/TURN servers a viewer should use, with fresh TURN credentials, before it makes its offer. */
  app.get("/api/ice-servers", { config: { access: "viewer" } }, async (req) => sessions.iceServers(req.principal?.name ?? "viewer"));

  app.patch<{ Params: { id: string } }>(`${SESSION_PATH}:id`, { config: { access: "viewer" }, preParsing: requireType("application/trickle-ice-sdpfrag") }, async (req, reply) => {
    const session = sessions.get(req.params.id);
    if (!session) return reply.code(404).send({ error: "no such session" });
    const ifMatch = req.headers["if-match"];
    if (ifMatch !== undefined && ifMatch !== "*" && ifMatch !== session.etag) return reply.code(412).send({ error: "the session's ICE credentials changed (ETag mismatch)" });
    let frag;
    try {
      frag = parseSdpFrag(String(req.body ?? ""));
    } catch (err) {
      if (err instanceof BadFragError) return reply.code(400).send({ error: err.message });
      throw err;
    }
    if (frag.ufrag && frag.ufrag !== session.remoteIceUfrag()) {
      if (!frag.pwd) return reply.code(400).send({ error: "an ICE restart needs a=ice-pwd with the new a=ice-ufrag" });
      try {
        const answer = await session.restartIce(frag.ufrag, frag.pwd, frag.candidates);
        return reply.code(200).header("Content-Type", "application/trickle-ice-sdpfrag").header("ETag", session.etag).send(answer);
      } catch (err) {
        if (err instanceof RestartTooSoonError || err instanceof TooManyCandidatesError) return reply.code(429).header("Retry-After", "2").send({ error: err.message });
        return reply.code(400).send({ error: `ICE restart failed: ${(err as Error).message}` });
      }
    }
    try {
      await session.addIceCandidates(frag.candidates);
    } catch (err) {
      if (err instanceof TooManyCandidatesError) return reply.code(429).send({ error: err.message });
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
