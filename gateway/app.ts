import { readFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import type { Source } from "../sensors/index.js";
import type { Config } from "./config/schema.js";
import { createHttpServer } from "./http/server.js";
import { Hub } from "./hub/hub.js";
import type { Logger } from "./log.js";
import { createSource } from "./sources.js";
import { Sessions } from "./webrtc/sessions.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const VERSION: string = JSON.parse(readFileSync(`${ROOT}package.json`, "utf8")).version;

export interface Gateway {
  readonly hub: Hub;
  readonly urls: string[];
  stop(): Promise<void>;
}

export async function startGateway(config: Config, log: Logger, dashboardDir = `${ROOT}dist/dashboard`): Promise<Gateway> {
  const hub = new Hub(log.child({ module: "hub" }), config.hub.historyPoints);
  hub.start();
  const sources: Source[] = config.sources.map((sc) => createSource(sc, hub.sinkFor(sc.id), log.child({ module: "source" })));
  if (sources.length === 0) log.warn("no sources configured: the dashboard will stay empty");
  const sessions = new Sessions(
    hub,
    {
      iceServers: config.webrtc.iceServers,
      portRange: config.webrtc.portRange,
      additionalHostAddresses: config.webrtc.additionalHostAddresses,
      ipv6: config.webrtc.ipv6,
      connectTimeoutMs: 20_000,
      disconnectedTimeoutMs: 10_000,
    },
    config.webrtc.maxViewers,
    log.child({ module: "webrtc" }),
    { name: config.name, version: VERSION },
  );
  let app: FastifyInstance;
  try {
    app = await createHttpServer({ hub, sessions, logger: log, dashboardDir });
    await app.listen({ host: config.http.host, port: config.http.port });
  } catch (err) {
    hub.stop();
    throw err;
  }
  for (const source of sources) source.start();
  const urls = dashboardUrls(config.http.host, config.http.port);
  log.info({ urls }, `dashboard at ${urls[0]}`);

  return {
    hub,
    urls,
    async stop() {
      await sessions.closeAll("gateway stopping");
      await Promise.allSettled(sources.map((s) => s.stop()));
      hub.stop();
      await app.close();
    },
  };
}

function dashboardUrls(host: string, port: number): string[] {
  if (host !== "0.0.0.0" && host !== "::") return [`http://${host.includes(":") ? `[${host}]` : host}:${port}/`];
  const urls = [`http://localhost:${port}/`];
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === "IPv4" && !a.internal) urls.push(`http://${a.address}:${port}/`);
  }
  return urls;
}
