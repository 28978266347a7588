/** Parses an application/trickle-ice-sdpfrag body (RFC 8840) into candidates per media section. */
export interface SdpFrag {
  ufrag?: string;
  pwd?: string;
  candidates: Array<{ candidate: string; sdpMid?: string }>;
  endOfCandidates: boolean;
}

export class BadFragError extends Error {}

const CANDIDATE = /^candidate:\S{1,32} \d{1,3} (udp|tcp|UDP|TCP) \d{1,10} [0-9A-Za-z.:%_-]{1,255} \d{1,5} typ (host|srflx|prflx|relay)( .*)?$/;

export function parseSdpFrag(body: string): SdpFrag {
  const frag: SdpFrag = { candidates: [], endOfCandidates: false };
  let mid: string | undefined;
  for (const raw of body.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "") continue;
    if (line.startsWith("a=ice-ufrag:")) frag.ufrag = line.slice(12);
    else if (line.startsWith("a=ice-pwd:")) frag.pwd = line.slice(10);
    else if (line.startsWith("a=mid:")) mid = line.slice(6);
    else if (line === "a=end-of-candidates") frag.endOfCandidates = true;
    else if (line.startsWith("a=candidate:")) {
      const candidate = line.slice(2);
      if (!CANDIDATE.test(candidate)) throw new BadFragError(`malformed candidate line: ${line.slice(0, 80)}`);
      frag.candidates.push({ candidate, sdpMid: mid });
    } else if (!/^(m=|a=ice-options:|a=group:|c=)/.test(line)) {
      throw new BadFragError(`unexpected line in sdpfrag: ${line.slice(0, 80)}`);
    }
  }
  return frag;
}
