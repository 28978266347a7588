/**
 * Evidence for the soak finding: two bare werift peer connections (no wachter code) connect,
 * exchange RTP and a data channel, and are both closed, 50 times; the heap after a full GC is
 * printed every 10 cycles. With werift 0.25.2 it grows by about 0.16 MB per cycle.
 *   sudo unshare --net --fork -- sh -c 'ip link set lo up && ip link add lan0 type veth peer name lan1 &&
 *     ip addr add 10.240.0.1/24 dev lan0 && ip addr add 10.240.0.2/24 dev lan1 && ip link set lan0 up &&
 *     ip link set lan1 up && ip route add default via 10.240.0.2 && node --expose-gc --import tsx bench/weriftChurn.ts'
 */
import { MediaStreamTrack, RTCPeerConnection } from "werift";
const track = new MediaStreamTrack({ kind: "video" });
async function cycle(): Promise<void> {
  const a = new RTCPeerConnection({ iceServers: [] });
  const b = new RTCPeerConnection({ iceServers: [] });
  b.addTransceiver("video", { direction: "recvonly" });
  b.createDataChannel("telemetry");
  const offer = await b.createOffer();
  for (const t of b.iceTransports) t.connection.stunServer = undefined;
  await b.setLocalDescription(offer);
  a.addTransceiver(track, { direction: "sendonly" });
  await a.setRemoteDescription(b.localDescription!);
  for (const t of a.iceTransports) t.connection.stunServer = undefined;
  await a.setLocalDescription(await a.createAnswer());
  await b.setRemoteDescription(a.localDescription!);
  await b.connectionStateChange.watch((s) => s === "connected", 10000);
  await new Promise((r) => setTimeout(r, 1500));
  await b.close();
  await a.close();
}
for (let i = 1; i <= 50; i++) {
  await cycle();
  if (i % 10 === 0) {
    await new Promise((r) => setTimeout(r, 3000));
    (globalThis as unknown as { gc: () => void }).gc();
    console.log(`bare werift pairs, cycles ${i}: heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)} MB`);
  }
}
process.exit(0);
