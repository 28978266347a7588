import { generateKeyPair, nacl, p256, prfPreMasterSecret } from "../test/helpers/weriftDtls.js";

export interface KeyExchangeResult {
  rounds: number;
  curves: Array<{ curve: string; installedMs: number; javascriptMs: number }>;
}

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
