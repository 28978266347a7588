import { z } from "zod";
import { durationSchema } from "../../common/durations.js";
import { ROLES } from "../auth/roles.js";

/** Longest a plant token may live, whatever an issuer is configured to: a stolen one is worth minutes. */
export const MAX_PLANT_TOKEN_TTL_MS = 15 * 60_000;
const MAX_CLOCK_SKEW_MS = 5 * 60_000;

export const plantGatewayId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "expected a gateway id of 1–64 letters, digits, . _ -, e.g. mill-3");

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

/** The plant this gateway belongs to (issue 18); for now its single sign-on. */
export const plantSchema = z.object({ sso: plantSsoSchema.optional() }).strict();
