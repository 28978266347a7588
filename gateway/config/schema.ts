import { hostname } from "node:os";
import { z } from "zod";
import { durationSchema } from "../../common/durations.js";
import { SOURCE_SCHEMAS } from "../../sensors/index.js";
import { alertsSchema } from "../alerts/schema.js";
import { ROLES } from "../auth/roles.js";
import { historySchema } from "../history/schema.js";
import { incidentsSchema } from "../incidents/schema.js";
import { videoSchema } from "../media/schema.js";
import { notifySchema } from "../notify/schema.js";
import { plantSchema } from "./plant.js";
import { uplinkSchema } from "../uplink/schema.js";

const port = z.number().int().min(1).max(65535);
const logLevel = z.enum(["trace", "debug", "info", "warn", "error", "fatal"]);
export const LOG_MODULES = ["hub", "history", "alerts", "notify", "source", "webrtc", "http", "auth", "uplink", "storage", "clock", "incidents", "plant"] as const;
export type LogModule = (typeof LOG_MODULES)[number];
/** Compared with the browser's Origin header as is, so it must be in the form browsers send. */
const corsOrigin = z
  .string()
  .regex(/^https?:\/\/[^/\s*]+$/, "expected an exact origin such as https://scada.plant.local (no path, no wildcard)")
  .refine((o) => URL.canParse(o) && new URL(o).origin === o, {
    error: (issue) => (URL.canParse(String(issue.input)) ? `write it as browsers send it: ${new URL(String(issue.input)).origin}` : "expected an origin such as https://scada.plant.local"),
  });
const ipAddress = z.union([z.ipv4(), z.ipv6()], { error: "expected an IP address" });

const iceServerSchema = z
  .object({
    urls: z.union([z.string(), z.array(z.string()).min(1)]),
    username: z.string().optional(),
    credential: z.string().optional(),
  })
  .strict()
  .refine((s) => [s.urls].flat().every((u) => /^(stun|turns?):[^\s]+$/.test(u)), {
    message: 'expected urls like "stun:stun.plant.local:3478" or "turn:turn.plant.local:3478"',
    path: ["urls"],
  });

export const sourceSchema = z.discriminatedUnion("type", SOURCE_SCHEMAS);
export type SourceConfig = z.output<typeof sourceSchema>;

export const configSchema = z
  .object({
    /** Shown on the dashboard and in logs, e.g. "CNC mill 3". Defaults to the host name. */
    name: z.string().min(1).max(64).default(() => hostname()),
    /** The plant's time zone (IANA name), in which the dashboard shows times; default: the gateway's own. */
    timeZone: z
      .string()
      .refine((zone) => {
        try {
          new Intl.DateTimeFormat("en", { timeZone: zone });
          return true;
        } catch {
          return false;
        }
      }, 'expected an IANA time zone such as "Europe/Berlin"')
      .default(() => Intl.DateTimeFormat().resolvedOptions().timeZone),
    /** Where users, history and other state live; systemd's StateDirectory when set. */
    dataDir: z.string().min(1).default(() => process.env.STATE_DIRECTORY ?? "data"),
    http: z
      .object({
        host: z.string().min(1).default("0.0.0.0"),
        port: port.default(8080),
        /** Reverse proxies whose X-Forwarded-For is believed (IPs or CIDRs); nobody else's is. */
        trustProxy: z.array(z.string().regex(/^[0-9a-fA-F:.]+(\/\d{1,3})?$/, "expected an IP address or CIDR")).default([]),
        /**
         * Origins allowed to call the API from other sites (a SCADA, the plant's other gateways);
         * none by default. Exact, as browsers send them: no wildcards.
         */
        corsOrigins: z.array(corsOrigin).default([]),
        /** PEM files, or "self-signed" for a certificate generated once in dataDir/tls. */
        tls: z.union([z.object({ cert: z.string().min(1), key: z.string().min(1) }).strict(), z.literal("self-signed")]).optional(),
        /** Open connections one address may hold (0: no cap); a browser needs about six. */
        maxConnectionsPerAddress: z.number().int().min(0).max(10_000).default(32),
      })
      .strict()
      .default({ host: "0.0.0.0", port: 8080, trustProxy: [], corsOrigins: [], maxConnectionsPerAddress: 32 }),
    auth: z
      .object({
        sessionTtl: durationSchema.default(12 * 3_600_000),
        /** API tokens for machines (WHEP players, Prometheus, scripts): Authorization: Bearer <token>. */
        tokens: z
          .array(
            z
              .object({
                name: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/),
                token: z
                  .string()
                  .regex(/^[A-Za-z0-9._~+/=-]{32,512}$/, "expected at least 32 characters of A–Z a–z 0–9 . _ ~ + / = -; generate one with: openssl rand -base64 32"),
                role: z.enum(ROLES),
              })
              .strict(),
          )
          .default([]),
      })
      .strict()
      .default({ sessionTtl: 12 * 3_600_000, tokens: [] }),
    log: z
      .object({
        level: logLevel.default("info"),
        /** Per-module levels, e.g. { webrtc: debug, source: warn }. */
        modules: z.partialRecord(z.enum(LOG_MODULES), logLevel).default({}),
      })
      .strict()
      .default({ level: "info", modules: {} }),
    webrtc: z
      .object({
        /** None by default: factory networks have no internet. */
        iceServers: z.array(iceServerSchema).default([]),
        /** UDP ports for ICE, e.g. [40000, 40199]; size it to viewers × host addresses. */
        portRange: z.tuple([port, port]).refine(([a, b]) => a < b, "the first port must be below the second").optional(),
        /** Extra host candidates, e.g. the public address of a port-forwarded gateway. */
        additionalHostAddresses: z.array(ipAddress).default([]),
        ipv6: z.boolean().default(false),
        maxViewers: z.number().int().min(1).max(500).default(20),
        /**
         * Live readings go to viewers at most this often (a reading after a quiet spell at once):
         * each message costs every viewer a packet, so batching makes viewers cheaper; 0 sends every event-loop turn.
         */
        telemetryBatch: durationSchema.refine((ms) => ms <= 1000, "expected at most 1s: values older than that are not live").default(100),
        /**
         * New viewers are refused (503) while V8's old generation fills more than this share of its
         * limit (--max-old-space-size): room for what is in flight between collections.
         */
        maxHeapPercent: z.number().int().min(10, "expected a percentage 10…95").max(95, "expected a percentage 10…95").default(80),
        /** New viewers are refused (503) while the gateway's resident memory exceeds this (MB); none by default. */
        maxRssMb: z.number().int().min(64, "expected at least 64 (MB)").max(1_048_576, "expected at most 1048576 (MB)").optional(),
        /** A session that has not connected by then is closed, whatever ICE state it is in. */
        connectTimeout: durationSchema.default(20_000),
        /** A TURN server sharing a secret with the gateway: each viewer gets credentials valid for `ttl`. */
        turn: z
          .object({
            urls: z.array(z.string().regex(/^turns?:[^\s]+$/, 'expected a TURN URL such as "turn:turn.plant.local:3478?transport=udp"')).min(1),
            secret: z.string().min(16, "use a secret of at least 16 characters (openssl rand -hex 32), shared with coturn's static-auth-secret"),
            ttl: durationSchema.default(3_600_000),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({ iceServers: [], additionalHostAddresses: [], ipv6: false, maxViewers: 20, telemetryBatch: 100, maxHeapPercent: 80, connectTimeout: 20_000 }),
    hub: z
      .object({
        /** Recent history kept in memory per channel for charts on connect. */
        historyPoints: z.number().int().min(10).max(100_000).default(3000),
      })
      .strict()
      .default({ historyPoints: 3000 }),
    /** The colourised thermal video track (one encoder per camera, shared by all viewers). */
    video: videoSchema.default(videoSchema.parse({})),
    history: historySchema.default(historySchema.parse({})),
    alerts: alertsSchema.default(alertsSchema.parse({})),
    notify: notifySchema.default(notifySchema.parse({})),
    /** What the machine looked like around each firing alert, kept as content-addressed records. */
    incidents: incidentsSchema.default(incidentsSchema.parse({})),
    /** Readings to the plant's broker (with Home Assistant discovery). */
    uplink: uplinkSchema.default({}),
    /** The plant this gateway belongs to: single sign-on with the plant's other gateways. */
    plant: plantSchema.default({}),
    sources: z.array(sourceSchema).default([]),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const seen = new Map<string, number>();
    cfg.sources.forEach((s, i) => {
      const first = seen.get(s.id);
      if (first !== undefined) {
        ctx.addIssue({ code: "custom", path: ["sources", i, "id"], message: `duplicate source id "${s.id}" (also sources[${first}].id)` });
      } else seen.set(s.id, i);
    });
    const ruleIds = new Set<string>();
    cfg.alerts.rules.forEach((r, i) => {
      if (ruleIds.has(r.id)) ctx.addIssue({ code: "custom", path: ["alerts", "rules", i, "id"], message: `duplicate rule id "${r.id}"` });
      ruleIds.add(r.id);
    });
    const channels = new Map<string, string>();
    cfg.sources.forEach((s, i) => {
      const fed: Array<{ path: PropertyKey[]; where: string; channel: string }> =
        s.type === "serial"
          ? Object.entries(s.fields).map(([field, spec]) => ({ path: ["fields", field], where: `sources[${i}].fields.${field}`, channel: spec.channel }))
          : s.type === "modbus"
            ? s.points.map((p, j) => ({ path: ["points", j], where: `sources[${i}].points[${j}]`, channel: p.channel }))
            : [];
      const own = new Set<string>();
      for (const { path, where, channel } of fed) {
        const other = channels.get(channel);
        // A modbus source's schema reports its own repeats already.
        if (other && !(s.type === "modbus" && own.has(channel))) {
          ctx.addIssue({ code: "custom", path: ["sources", i, ...path, "channel"], message: `channel "${channel}" is already fed by ${other}` });
        } else if (!other) channels.set(channel, where);
        own.add(channel);
      }
    });
  });

export type Config = z.output<typeof configSchema>;
