import type { FastifyRequest } from "fastify";

/**
 * How many changes a minute one user may make to one kind of stored state. Each is a disk write
 * (users.json, an alert event, a rule change, all kept), so a client looping on them must neither
 * wear the SD card nor grow the database without end. Counted per user (per address for API
 * tokens; plant tokens per user@gateway), under concurrency too (@fastify/rate-limit counts before the handler runs).
 */
export const WRITES_PER_MINUTE = { preferences: 10, alertActions: 60, ruleChanges: 30, incidentPins: 30 } as const;

export function perUserWrites(kind: keyof typeof WRITES_PER_MINUTE) {
  const max = WRITES_PER_MINUTE[kind];
  return {
    max,
    timeWindow: 60_000,
    groupId: kind,
    keyGenerator: (req: FastifyRequest) => (req.principal && req.principal.via !== "token" ? `user:${req.principal.name}` : `ip:${req.ip}`),
    errorResponseBuilder: (_req: FastifyRequest, ctx: { after: string }) => ({ statusCode: 429, error: `at most ${max} changes a minute; try again in ${ctx.after}` }),
  };
}
