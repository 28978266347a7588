import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { virtualClock } from "../../common/clock.js";
import { ConfigError, parseConfig } from "../../gateway/config/load.js";
import { keyId, loadPrivateKey, loadTrustedKeys, PlantKeyError, type TrustedKey } from "../../gateway/auth/plantKeys.js";
import { capRole, PLANT_TOKEN_TYPE, PlantTokenIssuer, PlantTokenVerifier, type PlantVerdict } from "../../gateway/auth/plantTokens.js";
import type { Role } from "../../gateway/auth/roles.js";

const T0 = Date.parse("2026-12-01T08:00:00Z");
const MINUTE = 60_000;

async function plantKey() {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return { privateKey, trusted: { kid: await keyId(publicKey), key: publicKey } satisfies TrustedKey };
}

function setUp(privateKey: KeyObject, kid: string, trusted: TrustedKey[], maxRole: Role = "operator") {
  let now = T0;
  const clock = virtualClock(() => now);
  const issuer = new PlantTokenIssuer(privateKey, kid, "hall-screen", 5 * MINUTE, clock);
  const verifier = new PlantTokenVerifier({ audience: "mill-3", trustedKeys: trusted, maxRole, clockSkewMs: 30_000, clock });
  return { issuer, verifier, advance: (ms: number) => (now += ms) };
}

const refusal = (v: PlantVerdict) => ("refused" in v ? v.refused : `accepted as ${JSON.stringify(v.principal)}`);

describe("plant tokens", () => {
  it("cap a role at the gateway's maximum, never raising it", () => {
    expect(capRole("admin", "viewer")).toBe("viewer");
    expect(capRole("engineer", "operator")).toBe("operator");
    expect(capRole("viewer", "admin")).toBe("viewer");
    expect(capRole("operator", "operator")).toBe("operator");
  });

  it("name the user where they signed in, with the role capped by the receiving gateway", async () => {
    const { privateKey, trusted } = await plantKey();
    const { issuer, verifier } = setUp(privateKey, trusted.kid, [trusted], "operator");
    const issued = await issuer.issue("alice", "admin", "mill-3");
    expect(issued.expiresAt).toBe(T0 + 5 * MINUTE);
    const alice = await verifier.verify(issued.token);
    expect(alice).toEqual({ principal: { name: "alice@hall-screen", role: "operator", via: "plant" }, token: { kid: trusted.kid, jti: expect.stringMatching(/^[A-Za-z0-9_-]{16}$/), expiresAtMs: T0 + 5 * MINUTE } });
    const viewer = await issuer.issue("bob", "viewer", "mill-3");
    const bob = await verifier.verify(viewer.token);
    expect(bob).toMatchObject({ principal: { name: "bob@hall-screen", role: "viewer", via: "plant" } });
    // Each token has an id of its own: the hand-off lets each open one session.
    expect("token" in bob && "token" in alice && bob.token!.jti !== alice.token!.jti).toBe(true);
  });

  it("expire by the wall clock, with the configured clock skew of leeway", async () => {
    const { privateKey, trusted } = await plantKey();
    const { issuer, verifier, advance } = setUp(privateKey, trusted.kid, [trusted]);
    const { token } = await issuer.issue("alice", "operator", "mill-3");
    advance(5 * MINUTE + 20_000);
    expect("principal" in (await verifier.verify(token))).toBe(true);
    advance(20_000);
    expect(refusal(await verifier.verify(token))).toMatch(/^expired at 2026-12-01T08:05:00\.000Z; this gateway's clock reads 2026-12-01T08:05:40\.000Z \(40 s later; are both gateways' clocks synchronised/);
  });

  it("refuse a token issued in the future by the receiving gateway's clock (a Pi booted without NTP)", async () => {
    const { privateKey, trusted } = await plantKey();
    const { verifier } = setUp(privateKey, trusted.kid, [trusted]);
    const late = new PlantTokenIssuer(privateKey, trusted.kid, "hall-screen", 5 * MINUTE, virtualClock(() => T0 + 2 * MINUTE));
    expect(refusal(await verifier.verify((await late.issue("alice", "operator", "mill-3")).token))).toMatch(/^issued at 2026-12-01T08:02:00\.000Z, in the future by this gateway's clock/);
    const slightlyLate = new PlantTokenIssuer(privateKey, trusted.kid, "hall-screen", 5 * MINUTE, virtualClock(() => T0 + 20_000));
    expect("principal" in (await verifier.verify((await slightlyLate.issue("alice", "operator", "mill-3")).token))).toBe(true);
  });

  it("refuse another audience, a tampered signature or payload, an untrusted key, and other JWTs", async () => {
    const { privateKey, trusted } = await plantKey();
    const { issuer, verifier } = setUp(privateKey, trusted.kid, [trusted]);
    expect(refusal(await verifier.verify((await issuer.issue("alice", "operator", "press-1")).token))).toBe('issued for gateway "press-1", this is "mill-3"');

    const { token } = await issuer.issue("alice", "viewer", "mill-3");
    const [h, p, s] = token.split(".");
    const flipped = s.slice(0, 10) + (s[10] === "A" ? "B" : "A") + s.slice(11);
    expect(refusal(await verifier.verify(`${h}.${p}.${flipped}`))).toBe("the signature does not verify");
    const payload = JSON.parse(Buffer.from(p, "base64url").toString());
    const promoted = Buffer.from(JSON.stringify({ ...payload, role: "admin" })).toString("base64url");
    expect(refusal(await verifier.verify(`${h}.${promoted}.${s}`))).toBe("the signature does not verify");

    const other = await plantKey();
    const stranger = new PlantTokenIssuer(other.privateKey, other.trusted.kid, "elsewhere", 5 * MINUTE, virtualClock(() => T0));
    expect(refusal(await verifier.verify((await stranger.issue("alice", "admin", "mill-3")).token))).toMatch(/^signed by a key this gateway does not trust \(kid ".+"\); the plant key may have been rotated$/);
    // The other key's tokens with our kid: the signature decides.
    const impostor = new PlantTokenIssuer(other.privateKey, trusted.kid, "hall-screen", 5 * MINUTE, virtualClock(() => T0));
    expect(refusal(await verifier.verify((await impostor.issue("alice", "admin", "mill-3")).token))).toBe("the signature does not verify");

    const sign = (header: object, claims: object) =>
      new SignJWT({ role: "admin", ...claims }).setProtectedHeader({ alg: "EdDSA", kid: trusted.kid, ...header }).setIssuer("hall-screen").setSubject("alice").setAudience("mill-3").setIssuedAt(T0 / 1000).sign(privateKey);
    expect(refusal(await verifier.verify(await sign({ typ: "JWT" }, { exp: T0 / 1000 + 60 })))).toBe('not a wachter plant token (typ "JWT")');
    expect(refusal(await verifier.verify(await sign({ typ: PLANT_TOKEN_TYPE }, { exp: T0 / 1000 + 3600 })))).toBe("valid for 3600 s, longer than plant tokens may be (900 s)");
    expect(refusal(await verifier.verify(await sign({ typ: PLANT_TOKEN_TYPE }, { exp: T0 / 1000 + 60, role: "root" })))).toBe('no valid role in the token ("root")');
    expect(refusal(await verifier.verify(await sign({ typ: PLANT_TOKEN_TYPE }, {})))).toMatch(/^claim "exp" is not valid/);
    expect(refusal(await verifier.verify("eyJhbGciOiJFZERTQSJ9.e30.AAAA"))).toBe("not a wachter plant token (typ null)");
    expect(refusal(await verifier.verify("eyJub3Q.json.AAAA"))).toBe("not a JWT");
  });

  it("stop trusting a rotated key: only the new key's tokens pass", async () => {
    const old = await plantKey();
    const next = await plantKey();
    const before = setUp(old.privateKey, old.trusted.kid, [old.trusted, next.trusted]);
    const after = setUp(old.privateKey, old.trusted.kid, [next.trusted]);
    const oldToken = (await before.issuer.issue("alice", "operator", "mill-3")).token;
    expect("principal" in (await before.verifier.verify(oldToken))).toBe(true);
    expect(refusal(await after.verifier.verify(oldToken))).toMatch(/^signed by a key this gateway does not trust/);
    const newIssuer = new PlantTokenIssuer(next.privateKey, next.trusted.kid, "hall-screen", 5 * MINUTE, virtualClock(() => T0));
    expect("principal" in (await after.verifier.verify((await newIssuer.issue("alice", "operator", "mill-3")).token))).toBe(true);
  });
});

describe("plant keys", () => {
  const dir = mkdtempSync(join(tmpdir(), "wachter-plant-keys-"));
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const privatePem = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  const publicPem = publicKey.export({ type: "spki", format: "pem" }) as string;
  writeFileSync(join(dir, "plant.key"), privatePem, { mode: 0o600 });
  writeFileSync(join(dir, "plant.pub"), publicPem);
  const rsaPem = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ type: "spki", format: "pem" }) as string;

  const problem = async (f: () => unknown) => {
    try {
      await f();
    } catch (err) {
      if (err instanceof PlantKeyError) return err.message;
      throw err;
    }
    return "no problem";
  };

  it("load public keys inline or from files (relative ones in dataDir), with the same kid as the issuer's", async () => {
    const keys = await loadTrustedKeys(dir, ["plant.pub", join(dir, "plant.pub"), publicPem]);
    expect(new Set(keys.map((k) => k.kid))).toEqual(new Set([await keyId(publicKey)]));
    expect(keys).toHaveLength(3);
  });

  it("refuse a private key as a trusted key, a key of another kind, and a missing file, naming the entry", async () => {
    expect(await problem(() => loadTrustedKeys(dir, ["plant.pub", "plant.key"]))).toMatch(/^plant\.sso\.trustedKeys\[1\] \(.*plant\.key\) is a private key: give its public key/);
    expect(await problem(() => loadTrustedKeys(dir, [rsaPem]))).toBe("plant.sso.trustedKeys[0] is a rsa key; the plant key must be Ed25519");
    expect(await problem(() => loadTrustedKeys(dir, ["missing.pub"]))).toMatch(/^plant\.sso\.trustedKeys\[0\] .*missing\.pub cannot be read: ENOENT$/);
    expect(await problem(() => loadTrustedKeys(dir, ["-----BEGIN PUBLIC KEY-----\nnonsense\n-----END PUBLIC KEY-----\n"]))).toBe("plant.sso.trustedKeys[0] is not a PEM public key");
  });

  it("load the private key only when its owner alone can read it", async () => {
    expect(loadPrivateKey(dir, "plant.key").asymmetricKeyType).toBe("ed25519");
    writeFileSync(join(dir, "open.key"), privatePem);
    chmodSync(join(dir, "open.key"), 0o644);
    expect(await problem(() => loadPrivateKey(dir, "open.key"))).toMatch(/open\.key can be read by others \(mode 644\): chmod 600 it$/);
    writeFileSync(join(dir, "public-as-private.key"), publicPem, { mode: 0o600 });
    expect(await problem(() => loadPrivateKey(dir, "public-as-private.key"))).toMatch(/is not a PEM private key \(make one with: openssl genpkey -algorithm ed25519/);
  });
});

describe("plant configuration", () => {
  const problems = (yaml: string): string[] => {
    try {
      parseConfig(yaml, "test.yaml", {});
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    return [];
  };

  it("defaults to an operator cap, 5-minute tokens and 30 s of clock skew", () => {
    const c = parseConfig("plant:\n  sso:\n    audience: mill-3\n    issuer: { privateKeyFile: plant.key }\n", "t.yaml", {});
    expect(c.plant.sso).toEqual({ audience: "mill-3", issuer: { privateKeyFile: "plant.key", tokenTtl: 300_000 }, trustedKeys: [], maxRole: "operator", clockSkew: 30_000 });
    expect(parseConfig("", "t.yaml", {}).plant).toEqual({});
  });

  it("caps the token lifetime and the skew, and wants something to do", () => {
    expect(problems("plant:\n  sso:\n    audience: mill-3\n    issuer: { privateKeyFile: k, tokenTtl: 1h }\n")).toEqual(["plant.sso.issuer.tokenTtl: expected a token lifetime from 30s to 15m"]);
    expect(problems("plant:\n  sso:\n    audience: mill-3\n    trustedKeys: [k.pub]\n    clockSkew: 1h\n")).toEqual(["plant.sso.clockSkew: expected at most 5m of clock skew"]);
    expect(problems("plant:\n  sso:\n    audience: mill-3\n")).toEqual(["plant.sso: plant.sso needs an issuer (privateKeyFile), trustedKeys, or both"]);
    expect(problems("plant:\n  sso:\n    audience: mill 3\n    trustedKeys: [k.pub]\n")[0]).toMatch(/^plant\.sso\.audience: expected a gateway id/);
  });

  it("takes CORS origins only exactly as browsers send them", () => {
    expect(problems("http:\n  corsOrigins: ['*']\n")[0]).toMatch(/no wildcard/);
    expect(problems("http:\n  corsOrigins: ['https://*.plant.local']\n")[0]).toMatch(/no wildcard/);
    expect(problems("http:\n  corsOrigins: ['https://Mill-3.plant.local:443']\n")).toEqual(["http.corsOrigins[0]: write it as browsers send it: https://mill-3.plant.local"]);
    expect(problems("http:\n  corsOrigins: ['http://10.0.0.5:8080']\n")).toEqual([]);
  });
});
