import { readFileSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { networkInterfaces } from "node:os";
import { join, resolve } from "node:path";
import type { FastifyInstance } from "fastify";
import { APP_ROOT } from "./appRoot.js";
import { AlertStream } from "./webrtc/alertStream.js";
import { AlertEngine } from "./alerts/engine.js";
import { BacktestRunner } from "./alerts/backtestRunner.js";
import { machineIdentity } from "./plant/announcement.js";
import { PlantLink } from "./plant/plantLink.js";
import { RuleBook } from "./alerts/ruleBook.js";
import { SqliteAlertStore } from "./alerts/sqliteStore.js";
import { Credentials } from "./auth/sessions.js";
import { PlantKeyError } from "./auth/plantKeys.js";
import { loadPlantSso, type PlantSso } from "./auth/plantSso.js";
import { LoginThrottle } from "./auth/throttle.js";
import { UserStore } from "./auth/users.js";
import { ConfigError, loadConfigFile } from "./config/load.js";
import type { Config, LogModule } from "./config/schema.js";
import { HistoryStore } from "./history/historyStore.js";
import { seriesReader } from "./history/series.js";
import { registerAlertsApi } from "./http/alertsApi.js";
import { registerRulesApi } from "./http/rulesApi.js";
import { registerHistoryApi } from "./http/historyApi.js";
import { registerIncidentsApi } from "./http/incidentsApi.js";
import { registerTrustlessGateway } from "./http/trustlessGateway.js";
import { ContentStore } from "./incidents/contentStore.js";
import { IncidentStore } from "./incidents/incidentStore.js";
import { IncidentRecorder } from "./incidents/recorder.js";
import { Replicator } from "./incidents/replication.js";
import { selfSignedCertificate } from "./http/selfSigned.js";
import { createHttpServer, routeTable, type RouteInfo } from "./http/server.js";
import { ClockWatch } from "./clockStatus.js";
import { createMetrics } from "./metrics.js";
import { MqttUplink } from "./uplink/mqttUplink.js";
import { SparkplugEdgeNode } from "./uplink/sparkplugEdgeNode.js";
import { WhipPush } from "./uplink/whipPush.js";
import { Notifiers } from "./notify/notifiers.js";
import { Outbox } from "./notify/outbox.js";
import { ALERTS_LABEL } from "./protocol/alerts.js";
import { TELEMETRY_LABEL } from "./protocol/telemetry.js";
import { openDatabase } from "./storage/db.js";
import { StorageHealth } from "./storage/health.js";
import type { StatusMsg } from "./protocol/status.js";
import { Hub } from "./hub/hub.js";
import type { Logger } from "./log.js";
import { SourceSet, type ReloadSummary } from "./sourceSet.js";
import { SPECTRUM_LABEL } from "./protocol/spectrum.js";
import { THERMAL_LABEL } from "./protocol/thermal.js";
import { heapSizing, MemoryGuard } from "./webrtc/memoryGuard.js";
import { ReadingBatches } from "./webrtc/readingBatches.js";
import { Sessions } from "./webrtc/sessions.js";
import { cameraMsg, micMsg, TelemetryStream } from "./webrtc/telemetryStream.js";
import { spectrumStream, thermalStream } from "./webrtc/newestWins.js";

export const VERSION: string = JSON.parse(readFileSync(join(APP_ROOT, "package.json"), "utf8")).version;

export interface ReloadResult extends ReloadSummary {
  needsRestart: string[];
}

export interface Gateway {
  readonly hub: Hub;
  readonly urls: string[];
  /** Set on the very first start, when no admin password was given: show it once. */
  readonly generatedAdminPassword?: string;
  readonly routes: RouteInfo[];
  /**
   * Reads the configuration file again and applies it source by source, alert rules and plant
   * single sign-on (keys are read again: rotation needs no restart); other sections need a restart. An invalid file changes nothing and throws ConfigError.
   */
  reload(): Promise<ReloadResult>;
  stop(): Promise<void>;
}

async function setUpAuth(config: Config, env: NodeJS.ProcessEnv, log: Logger, storage: StorageHealth) {
  const users = new UserStore(resolve(config.dataDir));
  const generatedAdminPassword = await users.ensureAdmin(env.WACHTER_ADMIN_PASSWORD);
  if (env.WACHTER_ADMIN_PASSWORD && !generatedAdminPassword && users.size > 0) {
    log.debug("WACHTER_ADMIN_PASSWORD is only used on the first start, when no users exist");
  }
  const credentials = new Credentials(config.auth.sessionTtl, {
    file: join(resolve(config.dataDir), "sessions.json"),
    onSave: (err) => (err ? storage.failed("sessions", err) : storage.ok("sessions")),
  });
  for (const t of config.auth.tokens) credentials.addToken(t.name, t.token, t.role);
  if (env.WACHTER_API_TOKEN) {
    if (env.WACHTER_API_TOKEN.length < 32) throw new Error("WACHTER_API_TOKEN must be at least 32 characters (openssl rand -base64 32)");
    credentials.addToken("WACHTER_API_TOKEN", env.WACHTER_API_TOKEN, "admin");
  }
  return { users, credentials, generatedAdminPassword };
}

/** plant.sso's keys, read at start and on each reload; a key problem is a configuration problem. */
async function plantSsoOf(config: Config, file: string | undefined): Promise<PlantSso | undefined> {
  try {
    return await loadPlantSso(config.plant.sso, resolve(config.dataDir));
  } catch (err) {
    if (err instanceof PlantKeyError) throw new ConfigError(file ?? "(built-in configuration)", [err.message]);
    throw err;
  }
}

export interface StartOptions {
  /** Where the configuration came from, for reloads; without it there is nothing to reload. */
  configFile?: string;
  /** Command-line overrides, applied again to a reloaded configuration. */
  overrides?: (config: Config) => void;
  env?: NodeJS.ProcessEnv;
  dashboardDir?: string;
}

export async function startGateway(config: Config, log: Logger, options: StartOptions = {}): Promise<Gateway> {
  const env = options.env ?? process.env;
  const dashboardDir = options.dashboardDir ?? join(APP_ROOT, "dist/dashboard");
  const moduleLog = (module: LogModule) => {
    const level = config.log.modules[module];
    return level ? log.child({ module }, { level }) : log.child({ module });
  };
  const plant = { current: await plantSsoOf(config, options.configFile) };
  const storage = new StorageHealth(moduleLog("storage"));
  const { users, credentials, generatedAdminPassword } = await setUpAuth(config, env, log, storage);
  const hub = new Hub(moduleLog("hub"), config.hub.historyPoints);
  hub.start();
  const dbFile = join(resolve(config.dataDir), "wachter.db");
  const db = openDatabase(dbFile);
  const seriesThread = seriesReader(dbFile);
  const history = new HistoryStore(db, config.history, moduleLog("history"), storage, Date.now, (job) => seriesThread.run(job));
  // WACHTER_CLOCK_SYNC_FILE is for tests: they cannot create systemd-timesyncd's file (its directory must exist, as timesyncd's does while it runs).
  const clock = new ClockWatch(moduleLog("clock"), { syncFile: env.WACHTER_CLOCK_SYNC_FILE, onJump: (jump) => history.recordClockJump(jump) });
  const alertStore = new SqliteAlertStore(db, storage);
  // The engine runs the file's rules and the dashboard's; each change to the latter applies at once.
  let alerts: AlertEngine | undefined;
  const rules = new RuleBook(db, config.alerts.rules, (active) => alerts?.setRules(active));
  alerts = new AlertEngine({ ...config.alerts, rules: rules.active() }, alertStore, moduleLog("alerts"));
  const backtests = new BacktestRunner(dbFile, { flush: () => history.flush({ minutes: true }), ...config.history });
  const outbox = new Outbox(db, storage);
  const incidentStore = new IncidentStore(db);
  const content = new ContentStore(join(resolve(config.dataDir), "incidents", "blocks"));
  const incidents = new IncidentRecorder(config.incidents, {
    hub,
    alerts,
    alertStore,
    history,
    store: incidentStore,
    content,
    gateway: { name: config.name, version: VERSION },
    log: moduleLog("incidents"),
  });
  const incidentOf = (alert: string, firingSince: number | null) => incidentStore.cidFor(alert, firingSince);
  const notifiers = new Notifiers(config.notify, outbox, config.name, moduleLog("notify"));
  notifiers.attach(alerts, incidentOf);
  notifiers.attachRules(rules);
  notifiers.attachIncidents(incidents);
  const replicator = config.incidents.replicate ? new Replicator(config.incidents.replicate.kubo, outbox, incidentStore, content, moduleLog("incidents")) : undefined;
  replicator?.attach(incidents);
  // Consumers subscribe before sources exist, so they see every channel the sources declare.
  hub.subscribe((e) => history.onHubEvent(e));
  hub.subscribe((e) => alerts.onHubEvent(e));
  const sources = new SourceSet(hub, config.video, moduleLog("source"));
  sources.create(config.sources);
  if (sources.size === 0) log.warn("no sources configured: the dashboard will stay empty");
  const thrashing = heapSizing();
  if (thrashing) log.warn(thrashing);
  const gatewayInfo = { name: config.name, version: VERSION, timeZone: config.timeZone, plantView: Boolean(config.plant.broker?.view) };
  const urls = dashboardUrls(config.http.host, config.http.port, Boolean(config.http.tls));
  const plantBroker = config.plant.broker;
  const plantLink = plantBroker ? new PlantLink(plantBroker, machineIdentity(config, plantBroker, urls, VERSION), { hub, alerts }, moduleLog("plant")) : undefined;
  const channelIds = () => hub.channelStates().map((c) => c.info.id);
  const readingBatches = new ReadingBatches(hub, config.webrtc.telemetryBatch);
  const sessions = new Sessions(
    {
      iceServers: config.webrtc.iceServers,
      portRange: config.webrtc.portRange,
      additionalHostAddresses: config.webrtc.additionalHostAddresses,
      ipv6: config.webrtc.ipv6,
      connectTimeoutMs: config.webrtc.connectTimeout,
      disconnectedTimeoutMs: 10_000,
      videoCodec: config.video.codec,
      turn: config.webrtc.turn ? { urls: config.webrtc.turn.urls, secret: config.webrtc.turn.secret, ttlMs: config.webrtc.turn.ttl } : undefined,
    },
    {
      [TELEMETRY_LABEL]: (out, scope) => new TelemetryStream(hub, readingBatches, out, { gateway: gatewayInfo, video: { palette: config.video.palette, range: config.video.range ?? null }, source: scope.source }),
      [ALERTS_LABEL]: (out) => new AlertStream(alerts, { of: incidentOf, subscribe: (listener) => incidents.subscribe(listener) }, channelIds, out),
      [THERMAL_LABEL]: (out, scope) => thermalStream(hub, out, scope.source),
      [SPECTRUM_LABEL]: (out, scope) => spectrumStream(hub, out, scope.source),
    },
    () => sources.tracks(),
    config.webrtc.maxViewers,
    new MemoryGuard({ maxHeapPercent: config.webrtc.maxHeapPercent, maxRssMb: config.webrtc.maxRssMb }),
    moduleLog("webrtc"),
  );
  const metrics = createMetrics({ hub, sessions, tracks: () => sources.tracks(), alerts, history, storage, clock });
  let current = config;
  const reload = async (): Promise<ReloadResult> => {
    if (!options.configFile) throw new ConfigError("(built-in configuration)", ["the gateway was started without --config: there is no file to reload"]);
    const next = loadConfigFile(options.configFile, env);
    options.overrides?.(next);
    const nextPlant = await plantSsoOf(next, options.configFile);
    const summary = await sources.apply(next.sources);
    rules.setFileRules(next.alerts.rules);
    plant.current = nextPlant;
    // Sources, alert rules and plant.sso apply live; any other section changed needs a restart.
    const withoutLive = (c: Config) => ({ ...c, sources: [], alerts: { ...c.alerts, rules: [] }, plant: { ...c.plant, sso: undefined } });
    const [was, is] = [withoutLive(current), withoutLive(next)];
    const needsRestart = (Object.keys(next) as Array<keyof Config>).filter((k) => !isDeepStrictEqual(is[k], was[k]));
    current = { ...current, sources: next.sources, alerts: { ...current.alerts, rules: next.alerts.rules }, plant: { ...current.plant, sso: next.plant.sso } };
    if (summary.removed.length || summary.restarted.length) {
      // Viewers reconnect at once and get a snapshot without the channels that went away.
      await sessions.closeAll("sources changed");
    }
    if (needsRestart.length) log.warn({ sections: needsRestart }, `changes to ${needsRestart.join(", ")} take effect after a restart`);
    log.info(summary, "configuration reloaded");
    return { ...summary, needsRestart };
  };
  let app: FastifyInstance;
  try {
    app = await createHttpServer({
      hub,
      sessions,
      logger: moduleLog("http"),
      dashboardDir,
      auth: {
        users,
        credentials,
        throttle: new LoginThrottle(),
        sessionTtlMs: config.auth.sessionTtl,
        secureCookies: Boolean(config.http.tls),
        log: moduleLog("auth"),
        plant,
        corsOrigins: config.http.corsOrigins,
      },
      trustProxy: config.http.trustProxy,
      corsOrigins: config.http.corsOrigins,
      machineOrigins: Object.values(config.plant.broker?.machines ?? {}).map((url) => new URL(url).origin),
      maxConnectionsPerAddress: config.http.maxConnectionsPerAddress,
      tls:
        config.http.tls === "self-signed"
          ? selfSignedCertificate(resolve(config.dataDir))
          : config.http.tls
            ? { cert: readFileSync(config.http.tls.cert), key: readFileSync(config.http.tls.key) }
            : undefined,
      routes: [
        (a) => registerAlertsApi(a, alerts, alertStore, incidentOf),
        (a) => registerIncidentsApi(a, incidentStore, content, config.incidents.maxPinnedBytes),
        (a) => registerTrustlessGateway(a, incidentStore, content),
        (a) => registerRulesApi(a, { book: rules, backtests, channels: () => hub.channelStates().map((c) => c.info) }),
        (a) => registerHistoryApi(a, history),
        (a) =>
          a.get("/api/plant/machines", { config: { access: "viewer" } }, async (_req, reply) => plantLink?.view() ?? reply.code(404).send({ error: "this gateway does not serve the plant view: set plant.broker (view: true)" })),
        (a) => a.get("/api/cameras", { config: { access: "viewer" } }, async () => hub.cameraStates().map(cameraMsg)),
        (a) => a.get("/api/microphones", { config: { access: "viewer" } }, async () => hub.micStates().map(micMsg)),
        (a) =>
          a.post("/api/reload", { config: { access: "admin" } }, async (_req, reply) => {
            try {
              return await reload();
            } catch (err) {
              if (err instanceof ConfigError) return reply.code(400).send({ error: "configuration not applied; the current one stays", problems: err.problems });
              throw err;
            }
          }),
        (a) =>
          a.get("/metrics", { config: { access: "viewer" } }, async (_req, reply) => {
            reply.type(metrics.contentType);
            return metrics.metrics();
          }),
        (a) => a.get("/api/status", { config: { access: "viewer" } }, async (): Promise<StatusMsg> => ({ clock: clock.status(), storage: storage.failures() })),
        (a) =>
          a.get("/readyz", { config: { access: "viewer" } }, async (_req, reply) => {
            const down = hub.sourceStates().filter((s) => s.status.state !== "up");
            const failing = storage.failures();
            const ready = down.length === 0 && failing.length === 0;
            // Memory short for new viewers is told, not counted as unready: the gateway goes on serving everything else.
            return reply
              .code(ready ? 200 : 503)
              .send({ ready, sources: hub.sourceStates().map((s) => ({ id: s.id, state: s.status.state, detail: s.status.detail ?? "" })), storage: failing, memory: sessions.memory.status() });
          }),
      ],
    });
    await app.listen({ host: config.http.host, port: config.http.port });
  } catch (err) {
    hub.stop();
    db.close();
    throw err;
  }
  const uplink = config.uplink.mqtt ? new MqttUplink(config.uplink.mqtt, hub, gatewayInfo, moduleLog("uplink")) : undefined;
  history.start();
  // What could not be written for want of space is tried again each second.
  const retryWrites = setInterval(() => {
    alertStore.writes.drain();
    outbox.retryWrites();
    credentials.saveIfUnsaved();
  }, 1000);
  await clock.start();
  // Before the alerts start, so the first alert to fire already has its pre-roll recorded.
  await incidents.start();
  alerts.start();
  notifiers.start();
  replicator?.start();
  uplink?.start();
  const edgeNode = config.uplink.sparkplug ? new SparkplugEdgeNode(config.uplink.sparkplug, hub, config.name, join(resolve(config.dataDir), "sparkplug.json"), moduleLog("uplink")) : undefined;
  edgeNode?.start();
  const whip = config.uplink.whip
    ? new WhipPush({ url: config.uplink.whip.url, token: config.uplink.whip.token, videoCodec: config.video.codec }, () => sources.tracks(), moduleLog("uplink"))
    : undefined;
  whip?.start();
  sources.startAll();
  plantLink?.start();
  log.info({ urls }, `dashboard at ${urls[0]}`);

  return {
    hub,
    urls,
    generatedAdminPassword,
    routes: routeTable(app),
    reload,
    async stop() {
      await sessions.closeAll("gateway stopping");
      readingBatches.close();
      await sources.stopAll();
      hub.stop();
      alerts.stop();
      backtests.close();
      await replicator?.stop();
      await incidents.stop();
      clock.stop();
      history.stop();
      seriesThread.close();
      clearInterval(retryWrites);
      await notifiers.stop();
      await uplink?.stop();
      await plantLink?.stop();
      await edgeNode?.stop();
      await whip?.stop();
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
