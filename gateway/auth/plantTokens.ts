import { randomBytes, type KeyObject } from "node:crypto";
import { decodeProtectedHeader, errors, jwtVerify, SignJWT, type JWTPayload } from "jose";
import { systemClock, type Clock } from "../../common/clock.js";
import { MAX_PLANT_TOKEN_TTL_MS } from "../config/plant.js";
import { ROLES, type Role } from "./roles.js";
import type { Principal } from "./sessions.js";
import type { TrustedKey } from "./plantKeys.js";

/** The JOSE `typ` of plant tokens, so that no other JWT signed with the same key passes for one. */
export const PLANT_TOKEN_TYPE = "wachter-plant+jwt";
const ALGORITHM = "EdDSA";

/** The lower of two roles: a plant-wide operator stays a viewer where the cap says so. */
export function capRole(role: Role, max: Role): Role {
  return ROLES[Math.min(ROLES.indexOf(role), ROLES.indexOf(max))];
}

export interface IssuedToken {
  token: string;
  audience: string;
  /** Wall time (epoch ms) by the issuer's clock. */
  expiresAt: number;
}

/** Signs plant tokens for users signed in on this gateway; holds the plant's private key. */
export class PlantTokenIssuer {
  constructor(
    private readonly key: KeyObject,
    private readonly kid: string,
    /** This gateway's plant id, the tokens' `iss`. */
    private readonly issuer: string,
    private readonly ttlMs: number,
    private readonly clock: Clock = systemClock,
  ) {}

  async issue(user: string, role: Role, audience: string): Promise<IssuedToken> {
    const now = Math.floor(this.clock.wall() / 1000);
    const exp = now + Math.floor(this.ttlMs / 1000);
    const token = await new SignJWT({ role })
      .setProtectedHeader({ alg: ALGORITHM, kid: this.kid, typ: PLANT_TOKEN_TYPE })
      .setIssuer(this.issuer)
      .setSubject(user)
      .setAudience(audience)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .setJti(randomBytes(12).toString("base64url"))
      .sign(this.key);
    return { token, audience, expiresAt: exp * 1000 };
  }
}

/** A token that passes: who, and (for a plant token) the key that signed it, its id and expiry. */
export type PlantVerdict = { principal: Principal; token?: { kid: string; jti: string | undefined; expiresAtMs: number } } | { refused: string };

export interface PlantVerifierOptions {
  /** This gateway's plant id: the audience a token must name. */
  audience: string;
  trustedKeys: TrustedKey[];
  maxRole: Role;
  clockSkewMs: number;
  clock?: Clock;
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
const CLOCK_HINT = "are both gateways' clocks synchronised? (GET /api/status)";

/**
 * Checks plant tokens against the trusted public keys. Times are wall times (the token crosses
 * machines, so no monotonic clock can judge it), with `clockSkewMs` of leeway either way.
 */
export class PlantTokenVerifier {
  private readonly keys: Map<string, KeyObject>;
  private readonly clock: Clock;

  constructor(private readonly options: PlantVerifierOptions) {
    this.keys = new Map(options.trustedKeys.map((k) => [k.kid, k.key]));
    this.clock = options.clock ?? systemClock;
  }

  /** Whether the key with this id is trusted (now: the keys change on reload). */
  trusts(kid: string): boolean {
    return this.keys.has(kid);
  }

  /** The highest role a plant user gets here. */
  get maxRole(): Role {
    return this.options.maxRole;
  }

  /** Whether `bearer` is shaped like a JWT at all (an API token could be anything else). */
  static looksLikeJwt(bearer: string): boolean {
    return /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(bearer);
  }

  async verify(jwt: string): Promise<PlantVerdict> {
    let header;
    try {
      header = decodeProtectedHeader(jwt);
    } catch {
      return { refused: "not a JWT" };
    }
    if (header.typ !== PLANT_TOKEN_TYPE) return { refused: `not a wachter plant token (typ ${JSON.stringify(header.typ ?? null)})` };
    if (header.alg !== ALGORITHM) return { refused: `algorithm ${JSON.stringify(header.alg)} is not accepted (only ${ALGORITHM})` };
    const key = typeof header.kid === "string" ? this.keys.get(header.kid) : undefined;
    if (!key) return { refused: `signed by a key this gateway does not trust (kid ${JSON.stringify(header.kid ?? null)}); the plant key may have been rotated` };
    const nowMs = this.clock.wall();
    const leeway = Math.floor(this.options.clockSkewMs / 1000);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(jwt, key, {
        algorithms: [ALGORITHM],
        typ: PLANT_TOKEN_TYPE,
        currentDate: new Date(nowMs),
        clockTolerance: leeway,
        requiredClaims: ["iss", "sub", "aud", "iat", "exp"],
      }));
    } catch (err) {
      return { refused: this.reason(err, nowMs) };
    }
    const { iss, sub, aud, iat, exp, role } = payload as JWTPayload & { role?: unknown };
    if (aud !== this.options.audience) return { refused: `issued for gateway ${JSON.stringify(aud)}, this is ${JSON.stringify(this.options.audience)}` };
    if (iat! > nowMs / 1000 + leeway) return { refused: `issued at ${iat && iso(iat)}, in the future by this gateway's clock (${new Date(nowMs).toISOString()}): ${CLOCK_HINT}` };
    if ((exp! - iat!) * 1000 > MAX_PLANT_TOKEN_TTL_MS) return { refused: `valid for ${exp! - iat!} s, longer than plant tokens may be (${MAX_PLANT_TOKEN_TTL_MS / 1000} s)` };
    if (typeof role !== "string" || !(ROLES as readonly string[]).includes(role)) return { refused: `no valid role in the token (${JSON.stringify(role ?? null)})` };
    return {
      principal: { name: `${sub}@${iss}`, role: capRole(role as Role, this.options.maxRole), via: "plant" },
      token: { kid: header.kid as string, jti: typeof payload.jti === "string" ? payload.jti : undefined, expiresAtMs: exp! * 1000 },
    };
  }

  private reason(err: unknown, nowMs: number): string {
    if (err instanceof errors.JWTExpired) {
      const exp = Number(err.payload.exp);
      return `expired at ${iso(exp)}; this gateway's clock reads ${new Date(nowMs).toISOString()} (${Math.round(nowMs / 1000 - exp)} s later; ${CLOCK_HINT})`;
    }
    if (err instanceof errors.JWSSignatureVerificationFailed) return "the signature does not verify";
    if (err instanceof errors.JWTClaimValidationFailed) return `claim "${err.claim}" is not valid: ${err.message}`;
    if (err instanceof errors.JOSEError) return `malformed token: ${err.message}`;
    throw err;
  }
}
