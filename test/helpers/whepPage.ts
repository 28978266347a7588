/**
 * What these helpers need of a browser page: one function run in it with one argument. Playwright's
 * pages (Chromium) and puppeteer's (Firefox over WebDriver BiDi) both have it.
 */
export interface Page {
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
}

/**
 * A minimal WHEP viewer run inside a page (any origin of the gateway): asks for `videos` video
 * tracks and the thermal channel, and keeps what arrives on `window.viewer` for assertions.
 */
export async function startViewer(page: Page, token: string, videos: number, audios = 0, relayOnly = false): Promise<void> {
  await page.evaluate(
    async ({ token, videos, audios, relayOnly }) => {
      // Like the dashboard: ask the gateway for STUN/TURN servers (fresh TURN credentials) first.
      const iceServers = (await (await fetch("/api/ice-servers", { headers: { Authorization: `Bearer ${token}` } })).json()) as RTCIceServer[];
      const pc = new RTCPeerConnection({ iceServers, iceTransportPolicy: relayOnly ? "relay" : "all" });
      const state = { frames: [] as Array<{ camera: string; seq: number; first: number[] }>, columns: 0, pc, session: "", etag: "", answer: "" };
      (window as unknown as { viewer: typeof state }).viewer = state;
      for (let i = 0; i < videos; i++) pc.addTransceiver("video", { direction: "recvonly" });
      for (let i = 0; i < audios; i++) pc.addTransceiver("audio", { direction: "recvonly" });
      // Chromium counts audio energy at playout, so play what arrives, as a player would.
      pc.ontrack = (e) => {
        if (e.track.kind !== "audio") return;
        const audio = new Audio();
        audio.srcObject = new MediaStream([e.track]);
        void audio.play();
      };
      const spectrum = pc.createDataChannel("spectrum", { ordered: false, maxRetransmits: 0 });
      spectrum.onmessage = () => state.columns++;
      const thermal = pc.createDataChannel("thermal", { ordered: false, maxRetransmits: 0 });
      thermal.binaryType = "arraybuffer";
      thermal.onmessage = (e) => {
        const view = new DataView(e.data as ArrayBuffer);
        const idLen = view.getUint8(10);
        const base = 44 + idLen + (idLen % 2);
        const scale = view.getFloat32(24, true);
        const offset = view.getFloat32(28, true);
        const first: number[] = [];
        for (let i = 0; i < 4; i++) first.push(view.getUint16(base + i * 2, true) * scale + offset);
        state.frames.push({ camera: new TextDecoder().decode(new Uint8Array(e.data as ArrayBuffer, 44, idLen)), seq: view.getUint32(12, true), first });
      };
      await pc.setLocalDescription(await pc.createOffer());
      await new Promise((r) => setTimeout(r, 300));
      const res = await fetch("/whep", { method: "POST", headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/sdp" }, body: pc.localDescription!.sdp });
      if (res.status !== 201) throw new Error(`WHEP answered ${res.status}`);
      state.session = res.headers.get("Location")!;
      state.etag = res.headers.get("ETag")!;
      state.answer = await res.text();
      await pc.setRemoteDescription({ type: "answer", sdp: state.answer });
    },
    { token, videos, audios, relayOnly },
  );
}

/** The candidate types of the selected pair, e.g. { local: "relay", remote: "host" }. */
export async function selectedPair(page: Page): Promise<{ local: string; remote: string } | undefined> {
  return page.evaluate(async () => {
    const { pc } = (window as unknown as { viewer: { pc: RTCPeerConnection } }).viewer;
    const stats = await pc.getStats();
    const byId = new Map<string, Record<string, unknown>>();
    stats.forEach((s: Record<string, unknown>) => byId.set(String(s.id), s));
    let pair: Record<string, unknown> | undefined;
    stats.forEach((s: Record<string, unknown>) => {
      if (s.type === "transport" && s.selectedCandidatePairId) pair = byId.get(String(s.selectedCandidatePairId));
    });
    if (!pair) return undefined;
    return { local: String(byId.get(String(pair.localCandidateId))?.candidateType), remote: String(byId.get(String(pair.remoteCandidateId))?.candidateType) };
  }, undefined);
}

export async function audioStats(page: Page): Promise<{ packets: number; energy: number; columns: number }> {
  return page.evaluate(async () => {
    const { pc, columns } = (window as unknown as { viewer: { pc: RTCPeerConnection; columns: number } }).viewer;
    let packets = 0;
    let energy = 0;
    (await pc.getStats()).forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "audio") {
        packets += s.packetsReceived ?? 0;
        energy += s.totalAudioEnergy ?? 0;
      }
    });
    return { packets, energy, columns };
  }, undefined);
}

export async function framesDecoded(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const { pc } = (window as unknown as { viewer: { pc: RTCPeerConnection } }).viewer;
    let n = 0;
    (await pc.getStats()).forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "video") n += s.framesDecoded ?? 0;
    });
    return n;
  }, undefined);
}

/**
 * What a WHEP client does when its network changes: restartIce, send the new credentials and
 * candidates in a PATCH, and apply the gateway's new credentials and candidates from the answer.
 */
export async function restartIce(page: Page, token: string): Promise<{ status: number; etagChanged: boolean }> {
  return page.evaluate(async (token) => {
    const v = (window as unknown as { viewer: { pc: RTCPeerConnection; session: string; etag: string; answer: string } }).viewer;
    const pc = v.pc;
    pc.restartIce();
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((r) => setTimeout(r, 500));
    const sdp = pc.localDescription!.sdp;
    const ufrag = /a=ice-ufrag:(\S+)/.exec(sdp)![1];
    const pwd = /a=ice-pwd:(\S+)/.exec(sdp)![1];
    const mid = /a=mid:(\S+)/.exec(sdp)![1];
    const candidates = sdp.split("\r\n").filter((l) => l.startsWith("a=candidate:"));
    const frag = [`a=ice-ufrag:${ufrag}`, `a=ice-pwd:${pwd}`, `a=mid:${mid}`, ...candidates, "a=end-of-candidates", ""].join("\r\n");
    const res = await fetch(v.session, { method: "PATCH", headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/trickle-ice-sdpfrag", "If-Match": v.etag }, body: frag });
    if (res.status !== 200) return { status: res.status, etagChanged: false };
    const etag = res.headers.get("ETag")!;
    const answerFrag = await res.text();
    const newUfrag = /a=ice-ufrag:(\S+)/.exec(answerFrag)![1];
    const newPwd = /a=ice-pwd:(\S+)/.exec(answerFrag)![1];
    const answer = v.answer
      .split("\r\n")
      .filter((l) => !l.startsWith("a=candidate:") && l !== "a=end-of-candidates")
      .map((l) => (l.startsWith("a=ice-ufrag:") ? `a=ice-ufrag:${newUfrag}` : l.startsWith("a=ice-pwd:") ? `a=ice-pwd:${newPwd}` : l))
      .join("\r\n");
    await pc.setRemoteDescription({ type: "answer", sdp: answer });
    for (const line of answerFrag.split("\r\n").filter((l) => l.startsWith("a=candidate:"))) await pc.addIceCandidate({ candidate: line.slice(2), sdpMid: mid });
    const changed = etag !== v.etag;
    v.etag = etag;
    v.answer = answer;
    return { status: res.status, etagChanged: changed };
  }, token);
}

/** The host candidates the browser offers (in an SDP of its own, with a data channel only). */
export async function hostCandidates(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const pc = new RTCPeerConnection();
    pc.createDataChannel("probe");
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((r) => setTimeout(r, 1000));
    const lines = pc.localDescription!.sdp.split("\r\n").filter((l) => l.startsWith("a=candidate:") && l.includes(" typ host"));
    pc.close();
    return lines;
  }, undefined);
}
