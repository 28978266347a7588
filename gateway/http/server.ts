import { existsSync } from "node:fs";
import cookie from "@fastify/cookie";
import cors from "@fastify/cors";
import helmet from "@fastify/helmet";
import rateLimit from "@fastify/rate-limit";
import fastifyStatic from "@fastify/static";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Logger as PinoLogger } from "pino";
import type { Hub } from "../hub/hub.js";
import { channelMsg, sourceMsg } from "../webrtc/telemetryStream.js";
import type { Sessions } from "../webrtc/sessions.js";
import { registerAuth, type Access, type AuthDeps } from "./auth.js";
import { capConnectionsPerAddress, HTTP_TIMEOUTS } from "./connectionLimits.js";
import { registerWhep } from "./whep.js";

export interface HttpDeps {
  hub: Hub;
  sessions: Sessions;
  logger: PinoLogger;
  dashboardDir: string;
  auth: AuthDeps;
  trustProxy: string[];
  corsOrigins: string[];
  /** The plant view's pinned machines (plant.broker.machines): the dashboard calls them and posts its hand-off form to them. */
  machineOrigins: string[];
  tls?: { cert: Buffer; key: Buffer };
  maxConnectionsPerAddress: number;
  /** Feature routes (alerts, history, …), registered after authentication. */
  routes: Array<(app: FastifyInstance) => void>;
}

export interface RouteInfo {
  method: string;
  url: string;
  access: Access;
}

const routeTables = new WeakMap<FastifyInstance, RouteInfo[]>();

/** Every route the server registered, with who may call it (for audits and tests). */
export function routeTable(app: FastifyInstance): RouteInfo[] {
  return routeTables.get(app) ?? [];
}

/** SDP offers are a few KB; anything near this is an attack or a bug. */
export const BODY_LIMIT = 64 * 1024;

export async function createHttpServer(deps: HttpDeps): Promise<FastifyInstance> {
  const { headersTimeout, requestTimeout, keepAliveTimeout, connectionTimeout, connectionsCheckingInterval } = HTTP_TIMEOUTS;
  const serverOptions = { headersTimeout, requestTimeout, connectionsCheckingInterval };
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Fastify types plain and TLS servers apart; this one is either, hence the cast below.
    ...((deps.tls ? { https: { ...deps.tls, ...serverOptions } } : { http: serverOptions }) as object),
    requestTimeout,
    keepAliveTimeout,
    connectionTimeout,
    trustProxy: deps.trustProxy.length ? deps.trustProxy : false,
    bodyLimit: BODY_LIMIT,
    logController: new LogController({ disableRequestLogging: true }),
  }) as unknown as FastifyInstance;
  capConnectionsPerAddress(app.server, deps.maxConnectionsPerAddress);

  const routes: RouteInfo[] = [];
  routeTables.set(app, routes);
  app.addHook("onRoute", (r) => {
    for (const method of [r.method].flat()) {
      const access = r.config?.access ?? (r.url === "/*" ? "public" : "admin");
      routes.push({ method, url: r.url, access });
    }
  });
  await app.register(cookie);
  // Exact origins only. Every method the API and WHEP use (the plugin allows only GET, HEAD and POST
  // by default: a WHEP player could not trickle or leave). Exposed headers: a cross-origin WHEP
  // player must read Location (to trickle and leave), ETag and Link (ICE servers), and a refused
  // plant token's reason.
  if (deps.corsOrigins.length) {
    await app.register(cors, {
      origin: deps.corsOrigins,
      credentials: true,
      methods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
      exposedHeaders: ["Location", "ETag", "Link", "Retry-After", "WWW-Authenticate"],
      maxAge: 600,
    });
  }

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        connectSrc: ["'self'", ...deps.machineOrigins],
        // An incident record's sound clip plays from the bytes the page has checked against its CID.
        mediaSrc: ["'self'", "blob:"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'", ...deps.machineOrigins],
        upgradeInsecureRequests: null,
      },
    },
    // The gateway usually runs on plain HTTP in a plant LAN; HSTS there would lock users out.
    strictTransportSecurity: false,
    // No referrer, except on a plant screen: there its origin (never a path) goes with every request
    // and link, since under no-referrer browsers send "Origin: null" on a form post, and the plant
    // hand-off to its pinned machines needs the origin.
    referrerPolicy: { policy: deps.machineOrigins.length ? "strict-origin" : "no-referrer" },
  });

  // Only where a route asks for it (writeLimits.ts); after authentication, so limits go by user.
  await app.register(rateLimit, { global: false, hook: "preHandler" });
  registerAuth(app, deps.auth);
  app.get("/healthz", { config: { access: "public" } }, async () => ({ status: "ok" }));
  app.get("/api/channels", { config: { access: "viewer" } }, async () => deps.hub.channelStates().map(channelMsg));
  app.get("/api/sources", { config: { access: "viewer" } }, async () => deps.hub.sourceStates().map(sourceMsg));
  registerWhep(app, deps.sessions, (id) => deps.hub.sourceStates().some((s) => s.id === id));
  for (const register of deps.routes) register(app);

  if (existsSync(deps.dashboardDir)) {
    await app.register(fastifyStatic, { root: deps.dashboardDir, index: "index.html" });
  } else {
    app.get("/", { config: { access: "public" } }, async (_req, reply) =>
      reply.code(503).type("text/plain").send("The dashboard is not built. Run `npm run build`, then restart the gateway.\n"),
    );
  }
  return app;
}
