import { createRequire } from "node:module";
import { join } from "node:path";
import { p256 } from "@noble/curves/p256";
import nacl from "tweetnacl";
import { ROOT } from "./gateway.js";

/** werift's DTLS key exchange as installed (with patches/), from its CommonJS build: the package's exports do not reach it. */
const require = createRequire(import.meta.url);
const cipherFile = (file: string) => require(join(ROOT, "node_modules/werift/lib/dtls/src/cipher", file));
export const { generateKeyPair } = cipherFile("namedCurve.js") as { generateKeyPair(curve: number): { privateKey: Buffer; publicKey: Buffer } };
export const { prfPreMasterSecret } = cipherFile("prf.js") as { prfPreMasterSecret(publicKey: Buffer, privateKey: Buffer, curve: number): Buffer };

/** The JavaScript curves werift 0.25.2 was published with: an independent implementation, and the benchmark's baseline. */
export { nacl, p256 };
