import { readFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import type { Source } from "../sensors/index.js";
import { AlertStream } from "./alerts/alertStream.js";
import { AlertEngine } from "./alerts/engine.js";
import { SqliteAlertStore } from "./alerts/sqliteStore.js";
import { Credentials } from "./auth/sessions.js";
import { LoginThrottle } from "./auth/throttle.js";
import { UserStore } from "./auth/users.js";
import type { Config } from "./config/schema.js";
import { HistoryStore } from "./history/historyStore.js";
import { registerAlertsApi } from "./http/alertsApi.js";
import { registerHistoryApi } from "./http/historyApi.js";
import { createHttpServer, routeTable, type RouteInfo } from "./http/server.js";
import { Notifiers } from "./notify/notifiers.js";
import { Outbox } from "./notify/outbox.js";
import { ALERTS_LABEL } from "./protocol/alerts.js";
import { TELEMETRY_LABEL } from "./protocol/telemetry.js";
import { openDatabase } from "./storage/db.js";
import { Hub } from "./hub/hub.js";
import type { Logger } from "./log.js";
import { createSource } from "./sources.js";
import { AudioTrack } from "./media/audioTrack.js";
import { ThermalVideo } from "./media/thermalVideo.js";
import { SPECTRUM_LABEL } from "./protocol/spectrum.js";
import { THERMAL_LABEL } from "./protocol/thermal.js";
import { Sessions } from "./webrtc/sessions.js";
import { SpectrumStream } from "./webrtc/spectrumStream.js";
import { cameraMsg, micMsg, TelemetryStream } from "./webrtc/telemetryStream.js";
import { ThermalStream } from "./webrtc/thermalStream.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const VERSION: string = JSON.parse(readFileSync(`${ROOT}package.json`, "utf8")).version;

export interface Gateway {
  readonly hub: Hub;
  readonly urls: string[];
  /** Set on the very first start, when no admin password was given: show it once. */
  readonly generatedAdminPassword?: string;
  readonly routes: RouteInfo[];
  stop(): Promise<void>;
}

async function setUpAuth(config: Config, env: NodeJS.ProcessEnv, log: Logger) {
  const users = new UserStore(resolve(config.dataDir));
  const generatedAdminPassword = await users.ensureAdmin(env.WACHTER_ADMIN_PASSWORD);
  if (env.WACHTER_ADMIN_PASSWORD && !generatedAdminPassword && users.size > 0) {
    log.debug("WACHTER_ADMIN_PASSWORD is only used on the first start, when no users exist");
  }
  const credentials = new Credentials(config.auth.sessionTtl, join(resolve(config.dataDir), "sessions.json"));
  for (const t of config.auth.tokens) credentials.addToken(t.name, t.token, t.role);
  if (env.WACHTER_API_TOKEN) {
    if (env.WACHTER_API_TOKEN.length < 32) throw new Error("WACHTER_API_TOKEN must be at least 32 characters (openssl rand -base64 32)");
    credentials.addToken("WACHTER_API_TOKEN", env.WACHTER_API_TOKEN, "admin");
  }
  return { users, credentials, generatedAdminPassword };
}

export async function startGateway(
  config: Config,
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
  dashboardDir = `${ROOT}dist/dashboard`,
): Promise<Gateway> {
  const { users, credentials, generatedAdminPassword } = await setUpAuth(config, env, log);
  const hub = new Hub(log.child({ module: "hub" }), config.hub.historyPoints);
  hub.start();
  const db = openDatabase(join(resolve(config.dataDir), "wachter.db"));
  const history = new HistoryStore(db, config.history, log.child({ module: "history" }));
  const alertStore = new SqliteAlertStore(db);
  const alerts = new AlertEngine(config.alerts, alertStore, log.child({ module: "alerts" }));
  const outbox = new Outbox(db);
  const notifiers = new Notifiers(config.notify, outbox, config.name, log.child({ module: "notify" }));
  notifiers.attach(alerts);
  // Consumers subscribe before sources exist, so they see every channel the sources declare.
  hub.subscribe((e) => history.onHubEvent(e));
  hub.subscribe((e) => alerts.onHubEvent(e));
  const sources: Source[] = config.sources.map((sc) => createSource(sc, hub.sinkFor(sc.id), log.child({ module: "source" })));
  if (sources.length === 0) log.warn("no sources configured: the dashboard will stay empty");
  const videos = hub.cameraStates().map((c) => new ThermalVideo(c.info.id, hub, config.video, log.child({ module: "video" })));
  const audios = hub.micStates().map((m) => new AudioTrack(m.info.id, hub));
  const tracks = [...videos, ...audios];
  const gatewayInfo = { name: config.name, version: VERSION };
  const channelIds = () => hub.channelStates().map((c) => c.info.id);
  const sessions = new Sessions(
    {
      iceServers: config.webrtc.iceServers,
      portRange: config.webrtc.portRange,
      additionalHostAddresses: config.webrtc.additionalHostAddresses,
      ipv6: config.webrtc.ipv6,
      connectTimeoutMs: 20_000,
      disconnectedTimeoutMs: 10_000,
      videoCodec: config.video.codec,
    },
    {
      [TELEMETRY_LABEL]: (out) => new TelemetryStream(hub, out, { gateway: gatewayInfo }),
      [ALERTS_LABEL]: (out) => new AlertStream(alerts, channelIds, out),
      [THERMAL_LABEL]: (out) => new ThermalStream(hub, out),
      [SPECTRUM_LABEL]: (out) => new SpectrumStream(hub, out),
    },
    () => tracks,
    config.webrtc.maxViewers,
    log.child({ module: "webrtc" }),
  );
  let app: FastifyInstance;
  try {
    app = await createHttpServer({
      hub,
      sessions,
      logger: log,
      dashboardDir,
      auth: {
        users,
        credentials,
        throttle: new LoginThrottle(),
        sessionTtlMs: config.auth.sessionTtl,
        secureCookies: Boolean(config.http.tls),
        log: log.child({ module: "auth" }),
      },
      trustProxy: config.http.trustProxy,
      corsOrigins: config.http.corsOrigins,
      tls: config.http.tls ? { cert: readFileSync(config.http.tls.cert), key: readFileSync(config.http.tls.key) } : undefined,
      routes: [
        (a) => registerAlertsApi(a, alerts, alertStore),
        (a) => registerHistoryApi(a, history),
        (a) => a.get("/api/cameras", { config: { access: "viewer" } }, async () => hub.cameraStates().map(cameraMsg)),
        (a) => a.get("/api/microphones", { config: { access: "viewer" } }, async () => hub.micStates().map(micMsg)),
      ],
    });
    await app.listen({ host: config.http.host, port: config.http.port });
  } catch (err) {
    hub.stop();
    db.close();
    throw err;
  }
  history.start();
  alerts.start();
  notifiers.start();
  for (const source of sources) source.start();
  const urls = dashboardUrls(config.http.host, config.http.port, Boolean(config.http.tls));
  log.info({ urls }, `dashboard at ${urls[0]}`);

  return {
    hub,
    urls,
    generatedAdminPassword,
    routes: routeTable(app),
    async stop() {
      await sessions.closeAll("gateway stopping");
      await Promise.allSettled([...sources.map((s) => s.stop()), ...videos.map((v) => v.stop())]);
      for (const a of audios) a.stop();
      hub.stop();
      alerts.stop();
      history.stop();
      await notifiers.stop();
      await app.close();
      db.close();
    },
  };
}

function dashboardUrls(host: string, port: number, tls: boolean): string[] {
  const scheme = tls ? "https" : "http";
  if (host !== "0.0.0.0" && host !== "::") return [`${scheme}://${host.includes(":") ? `[${host}]` : host}:${port}/`];
  const urls = [`${scheme}://localhost:${port}/`];
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === "IPv4" && !a.internal) urls.push(`${scheme}://${a.address}:${port}/`);
  }
  return urls;
}
