import { z } from "zod";
import { durationSchema } from "../../common/durations.js";
import { brokerFields } from "../../common/mqttBroker.js";
import { ROLES } from "../auth/roles.js";

/** Longest a plant token may live, whatever an issuer is configured to: a stolen one is worth minutes. */
export const MAX_PLANT_TOKEN_TTL_MS = 15 * 60_000;
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** A gateway's id in the plant: its SSO audience, and its name on the plant broker's topics. */
export const PLANT_ID = /^[A-Za-z0-9._-]{1,64}$/;
export const plantGatewayId = z.string().regex(PLANT_ID, "expected a gateway id of 1–64 letters, digits, . _ -, e.g. mill-3");
const DASHBOARD_URL_HELP = "expected the dashboard's URL ending in /, e.g. http://mill3.plant.local:8080/";
const dashboardUrl = z
  .string()
  .regex(/^https?:\/\/[^\s]+\/$/, DASHBOARD_URL_HELP)
  .refine((u) => URL.canParse(u), DASHBOARD_URL_HELP);
/** More machines than any plant view shows (its directory keeps 1000) make a configuration mistake, not a plant. */
const MAX_PINNED_MACHINES = 1000;

/**
 * Single sign-on between the gateways of one plant. A PEM key is given inline or as a file;
 * relative file names are in dataDir.
 */
export const plantSsoSchema = z
  .object({
    /** This gateway's id in the plant: plant tokens must name it as their audience, and the ones it issues name it as issuer. */
    audience: plantGatewayId,
    /** Only where users sign in for other gateways: the plant's private Ed25519 key (PKCS#8 PEM, mode 600). */
    issuer: z
      .object({
        privateKeyFile: z.string().min(1),
        tokenTtl: durationSchema
          .refine((ms) => ms >= 30_000 && ms <= MAX_PLANT_TOKEN_TTL_MS, "expected a token lifetime from 30s to 15m")
          .default(5 * 60_000),
      })
      .strict()
      .optional(),
    /** Public keys (SPKI PEM, inline or a file) whose tokens this gateway accepts; drop one to revoke its tokens. */
    trustedKeys: z.array(z.string().min(1)).default([]),
    /** The highest role a plant token gets here, whatever the user's role where they signed in. */
    maxRole: z.enum(ROLES).default("operator"),
    /** How far the issuer's clock may be off this gateway's when checking a token's times. */
    clockSkew: durationSchema.refine((ms) => ms <= MAX_CLOCK_SKEW_MS, "expected at most 5m of clock skew").default(30_000),
  })
  .strict()
  .refine((s) => s.issuer || s.trustedKeys.length > 0, "plant.sso needs an issuer (privateKeyFile), trustedKeys, or both");

export type PlantSsoConfig = z.output<typeof plantSsoSchema>;

/** The plant's broker, where gateways announce their state and alarms and the plant view listens. */
export const plantBrokerSchema = z
  .object({
    ...brokerFields,
    /** Topics are <prefix>/<id>/machine and <prefix>/<id>/status. */
    prefix: z.string().regex(/^[^#+\s]{1,100}$/, "expected a topic prefix without wildcards").default("wachter/plant"),
    /** This machine's id among the plant's; default: plant.sso.audience, else the machine name as a slug. */
    id: plantGatewayId.optional(),
    /** Groups machines in the plant view, e.g. "Hall 2". */
    hall: z.string().min(1).max(60).optional(),
    /** Where browsers reach this machine's dashboard; default: its first address that is not loopback. */
    dashboardUrl: dashboardUrl.optional(),
    /** The few values the plant view shows for this machine (channel ids); default: the first four. */
    keyValues: z.array(z.string().min(1)).max(8, "expected at most 8 channel ids").optional(),
    /** Announce at least this often; at once when an alert changes. */
    interval: durationSchema.refine((ms) => ms >= 1000 && ms <= 300_000, "expected 1s to 5m").default(10_000),
    /** Announce this machine (false: a screen for the plant only). */
    announce: z.boolean().default(true),
    /** Serve the plant view: listen to every machine on the prefix. */
    view: z.boolean().default(true),
    /**
     * The machines this plant view acts on (acknowledges their alarms with the user's plant token),
     * by id, each with its dashboard URL pinned here: never a URL announced on the broker, which
     * anyone who may publish there could claim. The dashboard may connect to these origins only.
     */
    machines: z
      .record(plantGatewayId, dashboardUrl)
      .refine((m) => Object.keys(m).length <= MAX_PINNED_MACHINES, `expected at most ${MAX_PINNED_MACHINES} machines`)
      .default({}),
  })
  .strict();

export type PlantBrokerConfig = z.output<typeof plantBrokerSchema>;

/** The plant this gateway belongs to (issue 18): single sign-on, and its broker for the plant view. */
export const plantSchema = z
  .object({ sso: plantSsoSchema.optional(), broker: plantBrokerSchema.optional() })
  .strict()
  .refine((p) => !p.broker?.id || !p.sso || p.broker.id === p.sso.audience, { message: "the plant knows a machine by one id: leave plant.broker.id out, or make it plant.sso.audience", path: ["broker", "id"] })
  .refine((p) => !Object.keys(p.broker?.machines ?? {}).length || p.sso?.issuer, {
    message: "the plant view acts on plant.broker.machines with plant tokens: configure plant.sso.issuer too",
    path: ["broker", "machines"],
  });
