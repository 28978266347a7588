import { existsSync } from "node:fs";
import helmet from "@fastify/helmet";
import fastifyStatic from "@fastify/static";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Logger as PinoLogger } from "pino";
import type { Hub } from "../hub/hub.js";
import { channelMsg, sourceMsg } from "../webrtc/telemetryStream.js";
import type { Sessions } from "../webrtc/sessions.js";
import { registerWhep } from "./whep.js";

export interface HttpDeps {
  hub: Hub;
  sessions: Sessions;
  logger: PinoLogger;
  dashboardDir: string;
}

/** SDP offers are a few KB; anything near this is an attack or a bug. */
export const BODY_LIMIT = 64 * 1024;

export async function createHttpServer(deps: HttpDeps): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: deps.logger.child({ module: "http" }) as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    logController: new LogController({ disableRequestLogging: true }),
  });

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
        upgradeInsecureRequests: null,
      },
    },
    // The gateway usually runs on plain HTTP in a plant LAN; HSTS there would lock users out.
    strictTransportSecurity: false,
  });

  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/api/channels", async () => deps.hub.channelStates().map(channelMsg));
  app.get("/api/sources", async () => deps.hub.sourceStates().map(sourceMsg));
  registerWhep(app, deps.sessions);

  if (existsSync(deps.dashboardDir)) {
    await app.register(fastifyStatic, { root: deps.dashboardDir, index: "index.html" });
  } else {
    app.get("/", async (_req, reply) =>
      reply.code(503).type("text/plain").send("The dashboard is not built. Run `npm run build`, then restart the gateway.\n"),
    );
  }
  return app;
}
