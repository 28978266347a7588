import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { calculateJwkThumbprint, exportJWK } from "jose";

/** A key problem found at start or reload, said in the configuration's terms. */
export class PlantKeyError extends Error {}

export interface TrustedKey {
  /** RFC 7638 thumbprint: the `kid` of the tokens it signs, the same on every gateway. */
  kid: string;
  key: KeyObject;
}

const isPem = (text: string) => text.trimStart().startsWith("-----BEGIN ");
const where = (dataDir: string, file: string) => (isAbsolute(file) ? file : join(dataDir, file));

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new PlantKeyError(`${what} ${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export const keyId = async (publicKey: KeyObject): Promise<string> => calculateJwkThumbprint(await exportJWK(publicKey));

/** The plant's private key; refused unless it is Ed25519 and readable by its owner only, as ssh does. */
export function loadPrivateKey(dataDir: string, file: string): KeyObject {
  const path = where(dataDir, file);
  const pem = readPem(path, "plant.sso.issuer.privateKeyFile");
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077) throw new PlantKeyError(`plant.sso.issuer.privateKeyFile ${path} can be read by others (mode ${mode.toString(8)}): chmod 600 it`);
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new PlantKeyError(`plant.sso.issuer.privateKeyFile ${path} is not a PEM private key (make one with: openssl genpkey -algorithm ed25519 -out ${path})`);
  }
  if (key.asymmetricKeyType !== "ed25519") throw new PlantKeyError(`plant.sso.issuer.privateKeyFile ${path} is a ${key.asymmetricKeyType} key; the plant key must be Ed25519`);
  return key;
}

/** Each entry of plant.sso.trustedKeys, inline PEM or a file, as a public Ed25519 key with its id. */
export async function loadTrustedKeys(dataDir: string, entries: string[]): Promise<TrustedKey[]> {
  const keys: TrustedKey[] = [];
  for (const [i, entry] of entries.entries()) {
    const name = isPem(entry) ? `plant.sso.trustedKeys[${i}]` : `plant.sso.trustedKeys[${i}] (${where(dataDir, entry)})`;
    const pem = isPem(entry) ? entry : readPem(where(dataDir, entry), `plant.sso.trustedKeys[${i}]`);
    if (/-----BEGIN (ENCRYPTED |RSA |EC |OPENSSH )?PRIVATE KEY-----/.test(pem)) {
      throw new PlantKeyError(`${name} is a private key: give its public key (openssl pkey -in KEY -pubout), and keep the private key on the issuers only`);
    }
    let key: KeyObject;
    try {
      key = createPublicKey(pem);
    } catch {
      throw new PlantKeyError(`${name} is not a PEM public key`);
    }
    if (key.asymmetricKeyType !== "ed25519") throw new PlantKeyError(`${name} is a ${key.asymmetricKeyType} key; the plant key must be Ed25519`);
    keys.push({ kid: await keyId(key), key });
  }
  return keys;
}
