import { existsSync, readFileSync } from "node:fs";
import { tool, type Finding } from "../../common/findings.js";

/** ALSA capture devices, named the way a microphone source's `device` wants them. */
export async function captureDevices(): Promise<Finding[]> {
  const f: Finding[] = [];
  const arecord = await tool("arecord", ["-l"]);
  if (arecord) {
    const cards = arecord.out.split("\n").filter((l) => l.startsWith("card "));
    if (cards.length === 0) f.push({ section: "microphones", mark: "info", text: "no ALSA capture devices (plug in the USB microphone)" });
    for (const c of cards) {
      const m = /^card (\d+): (\S+) \[(.*?)\], device (\d+): /.exec(c);
      f.push({ section: "microphones", mark: "ok", text: m ? `${m[3]}: device "plughw:CARD=${m[2]},DEV=${m[4]}" (or hw:${m[1]},${m[4]})` : c });
    }
    return f;
  }
  f.push({ section: "microphones", mark: "warn", text: "arecord not found; reading /proc/asound instead", fix: "sudo apt install alsa-utils" });
  const pcm = existsSync("/proc/asound/pcm") ? readFileSync("/proc/asound/pcm", "utf8").split("\n").filter((l) => l.includes("capture")) : [];
  if (pcm.length === 0) f.push({ section: "microphones", mark: "info", text: "no ALSA capture devices" });
  for (const l of pcm) f.push({ section: "microphones", mark: "ok", text: l.trim() });
  return f;
}
