/**
 * The physical floor for fan-out: replays an RTP trace (sizes and timing) from one UDP socket to
 * N receiving sockets, with no encryption or WebRTC. Prints its own CPU time when done.
 *   node --import tsx bench/udpFloor.ts COUNT SECONDS < trace.json
 */
import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { text } from "node:stream/consumers";

const [countText, secondsText] = process.argv.slice(2);
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
  for (const port of receivers) sender.send(packet, port, "127.0.0.1");
  if (++i === trace.length) {
    i = 0;
    loop++;
  }
}
const cpu = process.cpuUsage(cpu0);
process.stdout.write(`${JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000, seconds })}\n`);
sink.kill();
process.exit(0);
