/**
 * The physical floor for fan-out: replays a trace of datagrams (sizes and timing of the RTP packets
 * and telemetry messages one viewer received) from one UDP socket to N receiving sockets, with no
 * encryption or WebRTC. Prints its own CPU time when done.
 * With `srtp`, the SRTP floor: each datagram is first encrypted for each viewer with its own key,
 * with AES-128-GCM as SRTP (AEAD_AES_128_GCM, the profile werift and browsers agree on) and the
 * DTLS records carrying data channels both must, using node:crypto (OpenSSL), which is the least
 * any WebRTC stack in Node has to do per packet and viewer.
 *   node --import tsx bench/udpFloor.ts COUNT SECONDS [srtp] < trace.json
 */
import { spawn } from "node:child_process";
import { createCipheriv, randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { text } from "node:stream/consumers";

const [countText, secondsText, mode] = process.argv.slice(2);
const count = Number(countText);
const seconds = Number(secondsText);
const trace = JSON.parse(await text(process.stdin)) as Array<[number, number]>;
const sender = createSocket("udp4");
// The receiving sockets live in another process, as the viewers do for the gateway.
const sink = spawn(process.execPath, [
  "-e",
  `const d=require("node:dgram");const ports=[];let n=${count};for(let i=0;i<${count};i++){const s=d.createSocket("udp4");s.on("message",()=>{});s.bind(0,"127.0.0.1",()=>{ports.push(s.address().port);if(--n===0)console.log(JSON.stringify(ports))})}`,
]);
const receivers = await new Promise<number[]>((resolve) => sink.stdout.once("data", (d: Buffer) => resolve(JSON.parse(d.toString()))));
await new Promise<void>((r) => sender.bind(0, "127.0.0.1", r));
const HEADER = 12;
const keys = Array.from({ length: count }, () => ({ key: randomBytes(16), salt: randomBytes(12) }));
let seq = 0;

/** RFC 7714 section 8: the IV is the salt XOR (SSRC, rollover counter, sequence number); the RTP header is the AAD, the 16-byte tag follows. */
function srtp(packet: Buffer, viewer: { key: Buffer; salt: Buffer }): Buffer {
  const iv = Buffer.from(viewer.salt);
  iv.writeUInt32BE((iv.readUInt32BE(2) ^ packet.readUInt32BE(8)) >>> 0, 2);
  iv.writeUInt16BE(iv.readUInt16BE(10) ^ packet.readUInt16BE(2), 10);
  const cipher = createCipheriv("aes-128-gcm", viewer.key, iv);
  cipher.setAAD(packet.subarray(0, HEADER));
  const body = cipher.update(packet.subarray(HEADER));
  cipher.final();
  return Buffer.concat([packet.subarray(0, HEADER), body, cipher.getAuthTag()]);
}

const span = trace.at(-1)![0] - trace[0][0];
const start = performance.now();
const cpu0 = process.cpuUsage();
let loop = 0;
let i = 0;
while (performance.now() - start < seconds * 1000) {
  const [t, size] = trace[i];
  const due = start + loop * span + (t - trace[0][0]);
  const wait = due - performance.now();
  if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  const packet = Buffer.alloc(size, 0x80);
  if (mode === "srtp") {
    packet.writeUInt16BE(seq++ & 0xffff, 2);
    for (let v = 0; v < count; v++) sender.send(srtp(packet, keys[v]), receivers[v], "127.0.0.1");
  } else {
    for (const port of receivers) sender.send(packet, port, "127.0.0.1");
  }
  if (++i === trace.length) {
    i = 0;
    loop++;
  }
}
const cpu = process.cpuUsage(cpu0);
process.stdout.write(`${JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000, seconds })}\n`);
sink.kill();
process.exit(0);
