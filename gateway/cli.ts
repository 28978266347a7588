#!/usr/bin/env node
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { PlantKeyError } from "./auth/plantKeys.js";
import { loadPlantSso } from "./auth/plantSso.js";
import { ConfigError, defaultConfig, loadConfigFile } from "./config/load.js";
import type { Config } from "./config/schema.js";
import { startGateway, VERSION } from "./app.js";
import { doctor } from "./doctor.js";
import { createLogger } from "./log.js";

const USAGE = `wachter ${VERSION}: machine-monitoring gateway

Usage:
  wachter [--config FILE] [--port N] [--host ADDR] [--scenario normal|overheat] [--pretty|--json]
  wachter check-config FILE
  wachter doctor [--config FILE] [--seconds N]

Without --config the gateway runs its built-in simulated machine.
PORT in the environment sets the port; --port wins over it.
Exit status: 0 after a clean stop, 2 for an invalid configuration or usage, 1 for other failures.`;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

function readConfig(file: string | undefined): Config {
  try {
    return file ? loadConfigFile(file) : defaultConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
}

async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: "string", short: "c" },
        port: { type: "string", short: "p" },
        host: { type: "string" },
        scenario: { type: "string" },
        pretty: { type: "boolean" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean" },
        seconds: { type: "string" },
      },
    });
  } catch (err) {
    fail(`${(err as Error).message}\n\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  if (values.version) return void process.stdout.write(`${VERSION}\n`);

  const command = positionals[0] ?? "run";
  if (command === "check-config") {
    const file = positionals[1] ?? values.config;
    if (!file) fail("check-config needs a file: wachter check-config /etc/wachter/config.yaml");
    const config = readConfig(file);
    try {
      await loadPlantSso(config.plant.sso, resolve(config.dataDir));
    } catch (err) {
      if (err instanceof PlantKeyError) fail(`${file}: ${err.message}`);
      throw err;
    }
    process.stdout.write(`${file}: OK (${config.sources.length} source(s): ${config.sources.map((s) => `${s.id} [${s.type}]`).join(", ") || "none"})\n`);
    return;
  }
  if (command === "doctor") {
    const seconds = Number(values.seconds ?? 5);
    if (!(seconds > 0 && seconds <= 60)) fail("--seconds: expected 1…60");
    process.exitCode = await doctor(values.config ? readConfig(values.config) : undefined, seconds, (l) => process.stdout.write(`${l}\n`));
    return;
  }
  if (command !== "run") fail(`unknown command "${command}"\n\n${USAGE}`);

  const config = readConfig(values.config);
  const portText = values.port ?? process.env.PORT;
  let port: number | undefined;
  if (portText !== undefined) {
    port = Number(portText);
    if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`${values.port ? "--port" : "PORT"}: expected a port number 1…65535, got "${portText}"`);
  }
  const scenario = values.scenario;
  if (scenario !== undefined && scenario !== "normal" && scenario !== "overheat") fail(`--scenario: expected normal or overheat, got "${scenario}"`);
  const overrides = (c: Config) => {
    if (port !== undefined) c.http.port = port;
    if (values.host) c.http.host = values.host;
    if (scenario) for (const s of c.sources) if (s.type === "simulated") s.scenario = scenario;
  };
  if (scenario && !config.sources.some((s) => s.type === "simulated")) fail("--scenario needs a simulated source in the configuration");
  overrides(config);

  const log = createLogger(config.log.level, values.json ? false : (values.pretty ?? process.stdout.isTTY));
  process.on("unhandledRejection", (reason) => log.error({ err: String(reason) }, "unhandled promise rejection"));

  let gateway;
  try {
    gateway = await startGateway(config, log, { configFile: values.config, overrides });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === "EADDRINUSE") log.fatal(`port ${config.http.port} is already in use: stop the other program or pass --port`);
    else if (e.code === "EACCES") log.fatal(`no permission to listen on port ${config.http.port}: use a port above 1023`);
    else if (err instanceof ConfigError) fail(err.message);
    else log.fatal({ err: e.message }, "gateway failed to start");
    process.exit(1);
  }
  if (gateway.generatedAdminPassword) {
    // Shown once, like Frigate and Grafana do on first start; only its hash is stored.
    const notice = `First start: created user "admin" with password ${gateway.generatedAdminPassword} (shown only now; change it in the dashboard under My account)`;
    log.warn(notice);
    if (process.stdout.isTTY) process.stdout.write(`\n  ${notice}\n`);
  }
  if (process.stdout.isTTY) process.stdout.write(`\n  wachter is running: open ${gateway.urls[0]}\n\n`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping");
    const deadline = setTimeout(() => {
      log.error("shutdown took longer than 5 s; exiting anyway");
      process.exit(1);
    }, 5000);
    deadline.unref();
    gateway.stop().then(
      () => process.exit(0),
      (err: Error) => {
        log.error({ err: err.message }, "error while stopping");
        process.exit(1);
      },
    );
  };
  // Under systemd (no terminal) SIGHUP asks for a reload; on a terminal it means the terminal
  // closed, and a gateway left running there would hold its port with nobody to stop it.
  const terminal = Boolean(process.stdout.isTTY);
  process.on("SIGHUP", () => {
    if (terminal) return shutdown("SIGHUP");
    log.info("SIGHUP: reloading the configuration");
    gateway.reload().catch((err: Error) => {
      if (err instanceof ConfigError) log.error({ problems: err.problems }, `${err.file}: configuration not applied; the current one stays`);
      else log.error({ err: err.message }, "reload failed");
    });
  });
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

await main(process.argv.slice(2));
