/**
 * A minimal WHIP endpoint (what MediaMTX or LiveKit would be) for tests: accepts one publisher,
 * answers with werift, and prints the RTP packets received per kind as JSON lines. With --mute it
 * answers without candidates and then does no ICE at all (a media server that died after answering).
 *   node --import tsx test/helpers/whipEndpoint.ts PORT TOKEN [--mute]
 */
import { createServer } from "node:http";
import { RTCPeerConnection } from "werift";

const [portText, token, mode] = process.argv.slice(2);
const counts = { video: 0, audio: 0, sessions: 0, deleted: 0 };
let pc: RTCPeerConnection | undefined;

createServer((req, res) => {
  if (req.headers.authorization !== `Bearer ${token}`) return void res.writeHead(401).end();
  let body = "";
  req.on("data", (d) => (body += d));
  req.on("end", async () => {
    if (req.method === "DELETE" && req.url === "/whip/session") {
      counts.deleted++;
      await pc?.close();
      return void res.writeHead(200).end();
    }
    if (req.method !== "POST" || req.url !== "/whip" || req.headers["content-type"] !== "application/sdp") return void res.writeHead(400).end();
    await pc?.close();
    pc = new RTCPeerConnection({ iceServers: [] });
    for (const [, kind] of body.matchAll(/^m=(audio|video) /gm)) {
      const t = pc.addTransceiver(kind as "audio" | "video", { direction: "recvonly" });
      t.onTrack.subscribe((track) => track.onReceiveRtp.subscribe(() => counts[kind as "audio" | "video"]++));
    }
    await pc.setRemoteDescription({ type: "offer", sdp: body });
    for (const t of pc.iceTransports) t.connection.stunServer = undefined;
    await pc.setLocalDescription(await pc.createAnswer());
    counts.sessions++;
    let answer = pc.localDescription!.sdp;
    if (mode === "--mute") {
      answer = answer.split("\r\n").filter((l) => !l.startsWith("a=candidate:")).join("\r\n");
      await pc.close();
    }
    res.writeHead(201, { "Content-Type": "application/sdp", Location: "/whip/session" }).end(answer);
  });
}).listen(Number(portText), "0.0.0.0", () => process.stdout.write("listening\n"));

setInterval(() => process.stdout.write(`${JSON.stringify(counts)}\n`), 250);
