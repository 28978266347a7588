import { createPublicKey } from "node:crypto";
import type { Clock } from "../../common/clock.js";
import type { PlantSsoConfig } from "../config/plant.js";
import { keyId, loadPrivateKey, loadTrustedKeys } from "./plantKeys.js";
import { PlantTokenIssuer, PlantTokenVerifier } from "./plantTokens.js";

/** Single sign-on with the plant's other gateways, as configured in plant.sso. */
export interface PlantSso {
  /** Where users may get tokens for other gateways (this one holds the private key). */
  issuer?: PlantTokenIssuer;
  /** Where other gateways' tokens are accepted (this one trusts at least one public key). */
  verifier?: PlantTokenVerifier;
}

/** Reads the keys plant.sso names; throws PlantKeyError with what is wrong. */
export async function loadPlantSso(config: PlantSsoConfig | undefined, dataDir: string, clock?: Clock): Promise<PlantSso | undefined> {
  if (!config) return undefined;
  const trustedKeys = await loadTrustedKeys(dataDir, config.trustedKeys);
  let issuer: PlantTokenIssuer | undefined;
  if (config.issuer) {
    const key = loadPrivateKey(dataDir, config.issuer.privateKeyFile);
    issuer = new PlantTokenIssuer(key, await keyId(createPublicKey(key)), config.audience, config.issuer.tokenTtl, clock);
  }
  const verifier = trustedKeys.length
    ? new PlantTokenVerifier({ audience: config.audience, trustedKeys, maxRole: config.maxRole, clockSkewMs: config.clockSkew, clock })
    : undefined;
  return { issuer, verifier };
}
