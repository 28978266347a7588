import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BadFragError, parseSdpFrag } from "../../gateway/http/sdpfrag.js";

describe("trickle-ice-sdpfrag", () => {
  it("parses candidates with their mid, ufrag and end-of-candidates", () => {
    const frag = parseSdpFrag(
      "a=ice-ufrag:EsAw\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:0\r\na=candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0 ufrag EsAw network-id 1\r\na=end-of-candidates\r\n",
    );
    expect(frag.ufrag).toBe("EsAw");
    expect(frag.candidates).toEqual([{ candidate: "candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0 ufrag EsAw network-id 1", sdpMid: "0" }]);
    expect(frag.endOfCandidates).toBe(true);
  });

  it("rejects malformed candidates and foreign lines with a reason", () => {
    expect(() => parseSdpFrag("a=candidate:garbage")).toThrow(BadFragError);
    expect(() => parseSdpFrag("v=0\r\n")).toThrow(/unexpected line/);
  });

  it("only ever throws BadFragError on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 500 }), (text) => {
        try {
          parseSdpFrag(text);
        } catch (err) {
          expect(err).toBeInstanceOf(BadFragError);
        }
      }),
    );
  });
});
