import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { Logger } from "../log.js";
import { allows, ROLES, type Role } from "../auth/roles.js";
import type { Credentials, Principal } from "../auth/sessions.js";
import type { PlantSso } from "../auth/plantSso.js";
import { capRole, PlantTokenVerifier, type PlantVerdict } from "../auth/plantTokens.js";
import { MAX_CLOCK_SKEW_MS, plantGatewayId } from "../config/plant.js";
import type { LoginThrottle } from "../auth/throttle.js";
import { DEFAULT_PREFERENCES, preferencesPatchSchema } from "../auth/preferences.js";
import { UserError, type UserStore } from "../auth/users.js";
import { perUserWrites } from "./writeLimits.js";

export type Access = Role | "public";

declare module "fastify" {
  interface FastifyContextConfig {
    /** Who may call the route; routes that do not say are admin-only. */
    access?: Access;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

export const SESSION_COOKIE = "wachter_session";
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);
/** The longest a session handed over from the plant view lasts: the plant token that opened it lived minutes. */
export const PLANT_SESSION_MS = 8 * 3_600_000;

export interface AuthDeps {
  users: UserStore;
  credentials: Credentials;
  throttle: LoginThrottle;
  sessionTtlMs: number;
  secureCookies: boolean;
  log: Logger;
  /** plant.sso as loaded (replaced on reload); none: no plant tokens issued or accepted. */
  plant: { current?: PlantSso };
  /** http.corsOrigins: the plant origins whose pages may hand a user over (POST /api/login/plant). */
  corsOrigins: string[];
}

/** What a route requires; static dashboard files and unknown URLs (404) are public. */
export function requiredAccess(req: FastifyRequest): Access {
  const declared = req.routeOptions.config?.access;
  if (declared) return declared;
  const url = req.routeOptions.url;
  if (url === undefined || url === "/*") return "public";
  return "admin";
}

/**
 * Who is calling, in one of three ways: a session cookie, an API token, or a plant token (a JWT
 * another gateway of the plant signed). Another way to sign in (OpenID Connect) belongs here too.
 */
async function authenticate(req: FastifyRequest, deps: AuthDeps): Promise<(PlantVerdict & { cookie?: true }) | undefined> {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const m = /^Bearer ([A-Za-z0-9._~+/=-]{16,1024})$/.exec(header);
    if (!m) return undefined;
    const token = deps.credentials.fromToken(m[1]);
    if (token) return { principal: token };
    if (!PlantTokenVerifier.looksLikeJwt(m[1])) return undefined;
    const verifier = deps.plant.current?.verifier;
    return verifier ? verifier.verify(m[1]) : { refused: "this gateway accepts no plant tokens (plant.sso.trustedKeys is not configured)" };
  }
  const cookie = req.cookies[SESSION_COOKIE];
  const session = cookie ? deps.credentials.fromSession(cookie) : undefined;
  if (!session) return undefined;
  const { kid, ...principal } = session;
  if (principal.via !== "plant") return { principal, cookie: true };
  // A session handed over from the plant view holds only while the key that signed its token is
  // trusted here, with the role capped as this gateway caps plant users now (both change on reload).
  const verifier = deps.plant.current?.verifier;
  if (!verifier || !kid || !verifier.trusts(kid)) return undefined;
  return { principal: { ...principal, role: capRole(principal.role, verifier.maxRole) }, cookie: true };
}

function sameOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/**
 * Authentication on every route, localhost included: a session cookie from /api/login or an
 * `Authorization: Bearer` API token. Tokens in query strings are never looked at.
 */
export function registerAuth(app: FastifyInstance, deps: AuthDeps): void {
  app.addHook("onRequest", async (req: FastifyRequest, reply: FastifyReply) => {
    const need = requiredAccess(req);
    if (need === "public") return;
    const verdict = await authenticate(req, deps);
    if (!verdict) {
      return reply.code(401).header("WWW-Authenticate", 'Bearer realm="wachter"').send({ error: "sign in or send an API token" });
    }
    if ("refused" in verdict) {
      deps.log.info({ ip: req.ip, reason: verdict.refused }, "plant token refused");
      // RFC 6750: the reason goes in the header too, for clients that only look there. It may quote
      // the token's own header fields, so only printable ASCII, no quotes or backslashes.
      const description = verdict.refused.replace(/["\\]/g, "'").replace(/[^\x20-\x7e]/g, "?");
      return reply
        .code(401)
        .header("WWW-Authenticate", `Bearer realm="wachter", error="invalid_token", error_description="${description}"`)
        .send({ error: `plant token refused: ${verdict.refused}` });
    }
    const { principal } = verdict;
    // SameSite=Strict already keeps the cookie off cross-site requests; this also refuses
    // same-site but cross-origin writes (another port or subdomain).
    if (verdict.cookie && UNSAFE.has(req.method) && !sameOrigin(req)) {
      return reply.code(403).send({ error: "cross-origin request refused" });
    }
    if (!allows(principal.role, need)) return reply.code(403).send({ error: `needs the ${need} role` });
    req.principal = principal;
  });

  const setSessionCookie = (reply: FastifyReply, id: string, ttlMs = deps.sessionTtlMs) =>
    reply.setCookie(SESSION_COOKIE, id, { httpOnly: true, sameSite: "strict", secure: deps.secureCookies, path: "/", maxAge: Math.floor(ttlMs / 1000) });

  const loginBody = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(1024) }).strict();

  app.post("/api/login", { config: { access: "public" } }, async (req, reply) => {
    const body = loginBody.safeParse(req.body);
    if (!body.success) return reply.code(400).send({ error: 'expected JSON {"username": "...", "password": "..."}' });
    const { username, password } = body.data;
    const keys = [`ip:${req.ip}`, `user:${username}`];
    const attempt = deps.throttle.begin(keys);
    if (!attempt.settle) {
      return reply.code(429).header("Retry-After", String(Math.ceil(attempt.wait / 1000))).send({ error: "too many sign-ins from this address or for this user; try again later" });
    }
    let role;
    try {
      role = await deps.users.check(username, password);
    } finally {
      attempt.settle(Boolean(role));
    }
    if (!role) {
      deps.log.warn({ username, ip: req.ip }, "failed sign-in");
      return reply.code(401).send({ error: "wrong username or password" });
    }
    const id = deps.credentials.createSession(username, role);
    deps.log.info({ username, role, ip: req.ip }, "signed in");
    return setSessionCookie(reply, id).send({ username, role });
  });

  registerPlantHandOff(app, deps, setSessionCookie);

  app.post("/api/logout", { config: { access: "viewer" } }, async (req, reply) => {
    const id = req.cookies[SESSION_COOKIE];
    if (id) deps.credentials.endSession(id);
    return reply.clearCookie(SESSION_COOKIE, { path: "/" }).code(204).send();
  });

  /** Who is signed in, and their preferences (API tokens have no user record: the defaults). */
  const meOf = (p: Principal) => ({ ...p, preferences: p.via === "session" ? deps.users.preferencesOf(p.name) : DEFAULT_PREFERENCES });
  app.get("/api/me", { config: { access: "viewer" } }, async (req) => meOf(req.principal!));

  const meBody = z.object({ preferences: preferencesPatchSchema }).strict();
  /** Everyone sets their own preferences, e.g. {"preferences": {"temperatureUnit": "F"}}. */
  app.patch("/api/me", { config: { access: "viewer", rateLimit: perUserWrites("preferences") } }, async (req, reply) => {
    const body = meBody.safeParse(req.body);
    if (!body.success) return reply.code(400).send({ error: 'expected JSON {"preferences": {"temperatureUnit": "C" | "F"}}', problems: body.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`) });
    const me = req.principal!;
    if (me.via !== "session") return reply.code(400).send({ error: "preferences are kept for users signed in on this gateway, not for API or plant tokens" });
    try {
      deps.users.setPreferences(me.name, body.data.preferences);
    } catch (err) {
      // The user was removed while signed in.
      if (err instanceof UserError) return reply.code(404).send({ error: err.message });
      throw err;
    }
    return meOf(me);
  });

  const plantTokenBody = z.object({ audience: plantGatewayId }).strict();
  /** A short-lived token for another gateway of the plant, for the user signed in here. */
  app.post("/api/plant/token", { config: { access: "viewer" } }, async (req, reply) => {
    const issuer = deps.plant.current?.issuer;
    if (!issuer) return reply.code(404).send({ error: "this gateway issues no plant tokens (plant.sso.issuer is not configured)" });
    const me = req.principal!;
    if (me.via !== "session") return reply.code(403).send({ error: "plant tokens are issued to users signed in on this gateway, not for API or plant tokens" });
    const body = plantTokenBody.safeParse(req.body);
    if (!body.success) return reply.code(400).send({ error: 'expected JSON {"audience": "<the other gateway\'s plant.sso.audience>"}', problems: body.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`) });
    const issued = await issuer.issue(me.name, me.role, body.data.audience);
    deps.log.info({ username: me.name, role: me.role, audience: issued.audience }, "plant token issued");
    return { token: issued.token, audience: issued.audience, role: me.role, expiresAt: new Date(issued.expiresAt).toISOString() };
  });

  app.get("/api/users", { config: { access: "admin" } }, async () => deps.users.list());

  const userBody = z.object({ username: z.string(), password: z.string().max(1024), role: z.enum(ROLES) }).strict();
  app.post("/api/users", { config: { access: "admin" } }, async (req, reply) => {
    const body = userBody.safeParse(req.body);
    if (!body.success) return reply.code(400).send({ error: 'expected JSON {"username", "password", "role": "viewer" | "operator" | "engineer" | "admin"}' });
    try {
      await deps.users.upsert(body.data.username, body.data.password, body.data.role);
    } catch (err) {
      if (err instanceof UserError) return reply.code(400).send({ error: err.message });
      throw err;
    }
    deps.credentials.endSessionsOf(body.data.username);
    return reply.code(201).send({ username: body.data.username, role: body.data.role });
  });

  const roleBody = z.object({ role: z.enum(ROLES) }).strict();
  app.patch<{ Params: { username: string } }>("/api/users/:username", { config: { access: "admin" } }, async (req, reply) => {
    const body = roleBody.safeParse(req.body);
    if (!body.success) return reply.code(400).send({ error: 'expected JSON {"role": "viewer" | "operator" | "engineer" | "admin"}' });
    const { username } = req.params;
    const current = deps.users.roleOf(username);
    if (!current) return reply.code(404).send({ error: "no such user" });
    if (current === "admin" && body.data.role !== "admin" && deps.users.adminsOtherThan(username) === 0) return reply.code(409).send({ error: "the last admin cannot be demoted" });
    deps.users.setRole(username, body.data.role);
    // Signed-in sessions carry the role they were created with: the user signs in again with the new one.
    deps.credentials.endSessionsOf(username);
    return { username, role: body.data.role };
  });

  const passwordBody = z.object({ current: z.string().min(1).max(1024), password: z.string().max(1024) }).strict();
  /** Everyone changes their own password; other sessions of the user end, this one goes on. */
  app.post("/api/me/password", { config: { access: "viewer" } }, async (req, reply) => {
    const body = passwordBody.safeParse(req.body);
    if (!body.success) return reply.code(400).send({ error: 'expected JSON {"current": "...", "password": "..."}' });
    const me = req.principal!;
    if (me.via !== "session") return reply.code(400).send({ error: "API and plant tokens have no password to change here" });
    const attempt = deps.throttle.begin([`ip:${req.ip}`, `user:${me.name}`]);
    if (!attempt.settle) return reply.code(429).header("Retry-After", String(Math.ceil(attempt.wait / 1000))).send({ error: "too many failed attempts; try again later" });
    let role;
    try {
      role = await deps.users.check(me.name, body.data.current);
    } finally {
      attempt.settle(Boolean(role));
    }
    if (!role) return reply.code(403).send({ error: "the current password is wrong" });
    try {
      await deps.users.upsert(me.name, body.data.password, role);
    } catch (err) {
      if (err instanceof UserError) return reply.code(400).send({ error: err.message });
      throw err;
    }
    deps.credentials.endSessionsOf(me.name);
    const id = deps.credentials.createSession(me.name, role);
    return setSessionCookie(reply, id).code(204).send();
  });

  app.delete<{ Params: { username: string } }>("/api/users/:username", { config: { access: "admin" } }, async (req, reply) => {
    if (req.params.username === req.principal?.name) return reply.code(409).send({ error: "you cannot remove yourself" });
    if (!deps.users.remove(req.params.username)) return reply.code(404).send({ error: "no such user" });
    deps.credentials.endSessionsOf(req.params.username);
    return reply.code(204).send();
  });
}

/** A token for the hand-off: a plant token with an id (jti) that has not opened a session yet. */
function handOffVerdict(verdict: PlantVerdict, used: ReadonlyMap<string, number>): { principal: Principal; kid: string; once: string; expiresAtMs: number } | { refused: string } {
  if ("refused" in verdict) return verdict;
  if (!verdict.token?.jti) return { refused: "the token has no id (jti)" };
  const once = `${verdict.token.kid} ${verdict.token.jti}`;
  if (used.has(once)) return { refused: "this token has opened a session already; ask the plant view for a new one" };
  return { principal: verdict.principal, kid: verdict.token.kid, once, expiresAtMs: verdict.token.expiresAtMs };
}

/**
 * The plant view's hand-off: a page of one of this gateway's plant origins (http.corsOrigins) posts
 * a form with a plant token for this gateway, and its user is signed in here as user@gateway, with
 * the role capped by plant.sso.maxRole, for at most PLANT_SESSION_MS; the dashboard opens. The token
 * is the credential (it names this gateway as its audience and lives minutes) and opens one session
 * only; the origin check keeps other sites from signing a browser in as somebody else. Attempts are
 * throttled per address like sign-ins, since each session is a write of the sessions file.
 */
function registerPlantHandOff(app: FastifyInstance, deps: AuthDeps, setSessionCookie: (reply: FastifyReply, id: string, ttlMs: number) => FastifyReply): void {
  const refuse = (reply: FastifyReply, status: number, why: string) => reply.code(status).type("text/plain; charset=utf-8").send(`Sign-in from the plant view refused: ${why}`);
  /** Tokens that opened a session ("kid jti" → when the token expires): each opens one. */
  const used = new Map<string, number>();
  void app.register(async (scope) => {
    scope.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string", bodyLimit: 4096 }, (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))));
    scope.post("/api/login/plant", { config: { access: "public" } }, async (req, reply) => {
      const origin = req.headers.origin;
      if (!origin || !deps.corsOrigins.includes(origin)) return refuse(reply, 403, `the page that sent it (${origin ?? "no origin"}) is not one of this gateway's plant origins (http.corsOrigins)`);
      const token = (req.body as { token?: unknown } | undefined)?.token;
      if (typeof token !== "string" || token.length > 1024 || !PlantTokenVerifier.looksLikeJwt(token)) return refuse(reply, 400, "expected a form with a plant token (token=…)");
      const verifier = deps.plant.current?.verifier;
      if (!verifier) return refuse(reply, 404, "this gateway accepts no plant tokens (plant.sso.trustedKeys is not configured)");
      const attempt = deps.throttle.begin([`ip:${req.ip}`]);
      if (!attempt.settle) {
        reply.header("Retry-After", String(Math.ceil(attempt.wait / 1000)));
        return refuse(reply, 429, "too many sign-ins from this address; try again later");
      }
      const now = Date.now();
      for (const [key, expires] of used) if (expires < now - MAX_CLOCK_SKEW_MS) used.delete(key);
      const verdict = handOffVerdict(await verifier.verify(token), used);
      attempt.settle(!("refused" in verdict));
      if ("refused" in verdict) {
        deps.log.info({ ip: req.ip, reason: verdict.refused }, "plant token refused");
        return refuse(reply, 401, verdict.refused);
      }
      used.set(verdict.once, verdict.expiresAtMs);
      // The session this browser had here before, if any, ends: its cookie is replaced.
      const replaced = req.cookies[SESSION_COOKIE];
      if (replaced) deps.credentials.endSession(replaced);
      const { name, role } = verdict.principal;
      const ttl = Math.min(deps.sessionTtlMs, PLANT_SESSION_MS);
      const id = deps.credentials.createSession(name, role, { kid: verdict.kid, ttlMs: ttl });
      deps.log.info({ username: name, role, ip: req.ip, origin }, "signed in from the plant view");
      // Relative: from /api/login/plant to the dashboard, also behind a proxy that adds a path.
      return setSessionCookie(reply, id, ttl).redirect("../../", 303);
    });
  });
}
