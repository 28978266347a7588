/**
 * Evidence for a werift 0.25.2 leak that wachter works around: an offering peer connection with
 * the default bundle policy opens one ICE/DTLS transport per m-line; after the answer bundles
 * them, the unused transports are never closed, so each closed connection keeps its UDP sockets
 * and the whole peer connection reachable. With bundlePolicy "max-bundle" nothing is retained.
 * Prints, per policy, the offerers still reachable after 20 connect/close cycles and a full GC.
 *   unshare --net --fork -- sh -c 'ip link set lo up && ip link add lan0 type veth peer name lan1 &&
 *     ip addr add 10.240.0.1/24 dev lan0 && ip addr add 10.240.0.2/24 dev lan1 && ip link set lan0 up &&
 *     ip link set lan1 up && ip route add default via 10.240.0.2 && node --expose-gc --import tsx bench/weriftChurn.ts'
 */
import { MediaStreamTrack, RTCPeerConnection, type BundlePolicy } from "werift";

const track = new MediaStreamTrack({ kind: "video" });
const activeHandles = () => (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;

async function cycle(bundlePolicy: BundlePolicy | undefined): Promise<WeakRef<RTCPeerConnection>> {
  const answerer = new RTCPeerConnection({ iceServers: [] });
  const offerer = new RTCPeerConnection({ iceServers: [], bundlePolicy });
  offerer.addTransceiver("video", { direction: "recvonly" });
  offerer.createDataChannel("telemetry");
  const offer = await offerer.createOffer();
  for (const t of offerer.iceTransports) t.connection.stunServer = undefined;
  await offerer.setLocalDescription(offer);
  answerer.addTransceiver(track, { direction: "sendonly" });
  await answerer.setRemoteDescription(offerer.localDescription!);
  for (const t of answerer.iceTransports) t.connection.stunServer = undefined;
  await answerer.setLocalDescription(await answerer.createAnswer());
  await offerer.setRemoteDescription(answerer.localDescription!);
  await offerer.connectionStateChange.watch((s) => s === "connected", 10000);
  await offerer.close();
  await answerer.close();
  return new WeakRef(offerer);
}

for (const policy of [undefined, "max-bundle"] as const) {
  const handlesBefore = activeHandles();
  const refs: Array<WeakRef<RTCPeerConnection>> = [];
  for (let i = 0; i < 20; i++) refs.push(await cycle(policy));
  await new Promise((r) => setTimeout(r, 3000));
  (globalThis as unknown as { gc: () => void }).gc();
  const alive = refs.filter((r) => r.deref()).length;
  console.log(`bundlePolicy ${policy ?? "default"}: ${alive} of 20 closed offerers still reachable, active handles ${handlesBefore} → ${activeHandles()}`);
}
process.exit(0);
