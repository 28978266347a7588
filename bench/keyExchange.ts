import { createRequire } from "node:module";
import { join } from "node:path";
import { ROOT } from "../test/helpers/gateway.js";

export interface KeyExchangeResult {
  rounds: number;
  curves: Array<{ curve: string; installedMs: number; javascriptMs: number }>;
}

interface KeyPair {
  privateKey: Buffer;
  publicKey: Buffer;
}

const require = createRequire(import.meta.url);
/** werift's DTLS internals as installed (with patches/), by file: the package's exports do not reach them. */
const dtls = (file: string) => require(join(ROOT, "node_modules/werift/lib/dtls/src/cipher", file));
const { generateKeyPair } = dtls("namedCurve.js") as { generateKeyPair(curve: number): KeyPair };
const { prfPreMasterSecret } = dtls("prf.js") as { prfPreMasterSecret(publicKey: Buffer, privateKey: Buffer, curve: number): Buffer };
const nacl = require(join(ROOT, "node_modules/tweetnacl")) as { box: { keyPair(): { publicKey: Uint8Array; secretKey: Uint8Array } }; scalarMult(n: Uint8Array, p: Uint8Array): Uint8Array };
const { p256 } = require(join(ROOT, "node_modules/@noble/curves/p256.js")) as {
  p256: { utils: { randomPrivateKey(): Uint8Array }; getPublicKey(k: Uint8Array, compressed: boolean): Uint8Array; getSharedSecret(k: Uint8Array, p: Uint8Array): Uint8Array };
};

const X25519 = 29;
const P256 = 23;

function msPer(rounds: number, work: () => void): number {
  for (let i = 0; i < Math.min(20, rounds); i++) work();
  const t = performance.now();
  for (let i = 0; i < rounds; i++) work();
  return (performance.now() - t) / rounds;
}

/** The server's share of a DTLS ECDHE handshake, werift as installed against the JavaScript curves it was published with, alternating. */
export function keyExchange(rounds: number): KeyExchangeResult {
  const peerX = nacl.box.keyPair().publicKey;
  const peerP = p256.getPublicKey(p256.utils.randomPrivateKey(), false);
  const installed = (curve: number, peer: Uint8Array) => () => {
    const own = generateKeyPair(curve);
    prfPreMasterSecret(Buffer.from(peer), own.privateKey, curve);
  };
  const javascript = {
    [X25519]: () => nacl.scalarMult(nacl.box.keyPair().secretKey, peerX),
    [P256]: () => {
      const own = p256.utils.randomPrivateKey();
      p256.getPublicKey(own, false);
      p256.getSharedSecret(own, peerP);
    },
  };
  const curves = [
    { curve: "X25519", id: X25519, peer: peerX },
    { curve: "P-256", id: P256, peer: peerP },
  ].map(({ curve, id, peer }) => {
    const a: number[] = [];
    const b: number[] = [];
    for (let round = 0; round < 3; round++) {
      a.push(msPer(Math.ceil(rounds / 3), installed(id, peer)));
      b.push(msPer(Math.ceil(rounds / 3), javascript[id as 23 | 29]));
    }
    const median = (xs: number[]) => xs.sort((x, y) => x - y)[1];
    return { curve, installedMs: median(a), javascriptMs: median(b) };
  });
  return { rounds, curves };
}
