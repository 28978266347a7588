import { afterEach, describe, expect, it } from "vitest";
import { NamedCurveAlgorithm, NamedCurveAlgorithmList, RTCPeerConnection } from "werift";
import { generateKeyPair, nacl, p256, prfPreMasterSecret } from "../helpers/weriftDtls.js";

// patches/werift+0.25.2+002+native-ecdhe.patch: werift's DTLS key exchange through node:crypto,
// checked against the JavaScript curves it was published with.

type Curve = (typeof NamedCurveAlgorithm)[keyof typeof NamedCurveAlgorithm];

async function connectedPair(): Promise<{ offerer: RTCPeerConnection; answerer: RTCPeerConnection; echoed: string }> {
  const offerer = new RTCPeerConnection({ iceServers: [] });
  const answerer = new RTCPeerConnection({ iceServers: [] });
  answerer.onDataChannel.subscribe((dc) => dc.onMessage.subscribe((m) => dc.send(`echo ${m}`)));
  const dc = offerer.createDataChannel("check");
  await offerer.setLocalDescription(await offerer.createOffer());
  await answerer.setRemoteDescription(offerer.localDescription!);
  await answerer.setLocalDescription(await answerer.createAnswer());
  await offerer.setRemoteDescription(answerer.localDescription!);
  await new Promise<void>((resolve) => dc.stateChanged.subscribe((s) => s === "open" && resolve()));
  const echoed = new Promise<string>((resolve) => dc.onMessage.subscribe((m) => resolve(String(m))));
  dc.send("hello");
  return { offerer, answerer, echoed: await echoed };
}

const curveOf = (pc: RTCPeerConnection) => (pc as unknown as { sctpTransport: { dtlsTransport: { dtls: { cipher: { namedCurve: number } } } } }).sctpTransport.dtlsTransport.dtls.cipher.namedCurve;

describe("werift's DTLS key exchange through node:crypto", () => {
  const offered = [...NamedCurveAlgorithmList];
  afterEach(() => NamedCurveAlgorithmList.splice(0, NamedCurveAlgorithmList.length, ...offered));

  it("agrees with an independent X25519 (tweetnacl) both ways", () => {
    for (let i = 0; i < 20; i++) {
      const ours = generateKeyPair(NamedCurveAlgorithm.x25519_29);
      expect(ours.publicKey).toHaveLength(32);
      const theirs = nacl.box.keyPair();
      const mine = prfPreMasterSecret(Buffer.from(theirs.publicKey), ours.privateKey, NamedCurveAlgorithm.x25519_29);
      expect(mine.equals(Buffer.from(nacl.scalarMult(theirs.secretKey, ours.publicKey)))).toBe(true);
    }
  });

  it("agrees with an independent P-256 (@noble/curves) both ways", () => {
    for (let i = 0; i < 20; i++) {
      const ours = generateKeyPair(NamedCurveAlgorithm.secp256r1_23);
      expect(ours.publicKey).toHaveLength(65);
      const theirs = p256.utils.randomPrivateKey();
      const mine = prfPreMasterSecret(Buffer.from(p256.getPublicKey(theirs, false)), ours.privateKey, NamedCurveAlgorithm.secp256r1_23);
      expect(mine.equals(Buffer.from(p256.getSharedSecret(theirs, ours.publicKey)).subarray(1))).toBe(true);
    }
  });

  it("keeps a P-256 private key at 32 bytes, and derives with one that starts with a zero byte", () => {
    for (let i = 0; i < 50; i++) expect(generateKeyPair(NamedCurveAlgorithm.secp256r1_23).privateKey).toHaveLength(32);
    let key: Buffer;
    do key = p256.utils.randomPrivateKey() as Buffer;
    while (key[0] !== 0);
    const theirs = generateKeyPair(NamedCurveAlgorithm.secp256r1_23);
    const mine = prfPreMasterSecret(theirs.publicKey, Buffer.from(key), NamedCurveAlgorithm.secp256r1_23);
    expect(mine.equals(Buffer.from(p256.getSharedSecret(key, theirs.publicKey)).subarray(1))).toBe(true);
  });

  it("refuses a public key that is not on the curve", () => {
    const ours = generateKeyPair(NamedCurveAlgorithm.secp256r1_23);
    const bogus = Buffer.alloc(65, 7);
    bogus[0] = 4;
    expect(() => prfPreMasterSecret(bogus, ours.privateKey, NamedCurveAlgorithm.secp256r1_23)).toThrow();
    // The all-zero X25519 point gives an all-zero secret, which RFC 7748 says to reject.
    expect(() => prfPreMasterSecret(Buffer.alloc(32), generateKeyPair(NamedCurveAlgorithm.x25519_29).privateKey, NamedCurveAlgorithm.x25519_29)).toThrow();
  });

  for (const [name, curve] of [
    ["X25519", NamedCurveAlgorithm.x25519_29],
    ["P-256", NamedCurveAlgorithm.secp256r1_23],
  ] as Array<[string, Curve]>) {
    it(`connects two werift peers over ${name} (the ES module build the gateway loads)`, async () => {
      NamedCurveAlgorithmList.splice(0, NamedCurveAlgorithmList.length, curve);
      const { offerer, answerer, echoed } = await connectedPair();
      try {
        expect(echoed).toBe("echo hello");
        // The client's cipher context keeps the curve the server chose (the server's does not say).
        expect([curveOf(offerer), curveOf(answerer)].filter((c) => c !== undefined)).toEqual([curve]);
      } finally {
        await offerer.close();
        await answerer.close();
      }
    });
  }
});
