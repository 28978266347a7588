import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { userInfo } from "node:os";
import { promisify } from "node:util";
import { SerialPort } from "serialport";
import type { Config } from "./config/schema.js";
import { Hub } from "./hub/hub.js";
import { SourceSet } from "./sourceSet.js";

const run = promisify(execFile);
type Mark = "ok" | "warn" | "fail" | "info";
export interface Finding {
  section: string;
  mark: Mark;
  text: string;
  fix?: string;
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

async function tool(cmd: string, args: string[]): Promise<{ out: string; err: string } | undefined> {
  try {
    const { stdout, stderr } = await run(cmd, args, { timeout: 10_000, maxBuffer: 4 * 1024 * 1024 });
    return { out: stdout, err: stderr };
  } catch (err) {
    const e = err as { code?: string; stdout?: string; stderr?: string };
    if (e.code === "ENOENT") return undefined;
    return { out: e.stdout ?? "", err: e.stderr ?? "" };
  }
}

async function checkNode(f: Finding[]): Promise<void> {
  const [major, minor] = process.versions.node.split(".").map(Number);
  const ok = major > 20 || (major === 20 && minor >= 19);
  f.push({ section: "system", mark: ok ? "ok" : "fail", text: `Node.js ${process.versions.node}`, fix: ok ? undefined : "install Node.js 22 LTS" });
}

async function checkFfmpeg(f: Finding[]): Promise<void> {
  const version = await tool("ffmpeg", ["-hide_banner", "-version"]);
  if (!version) {
    f.push({ section: "system", mark: "fail", text: "ffmpeg is not installed (needed for cameras, microphones and video)", fix: "sudo apt install ffmpeg" });
    return;
  }
  f.push({ section: "system", mark: "ok", text: version.out.split("\n")[0] });
  const encoders = (await tool("ffmpeg", ["-hide_banner", "-encoders"]))?.out ?? "";
  for (const [codec, use] of [["libvpx", "VP8 video"], ["libx264", "H.264 video"], ["libopus", "Opus audio"]]) {
    const has = new RegExp(`\\b${codec}\\b`).test(encoders);
    f.push({ section: "system", mark: has ? "ok" : "warn", text: `ffmpeg encoder ${codec} (${use})${has ? "" : " missing"}`, fix: has ? undefined : "install Debian's ffmpeg, which includes it" });
  }
  const devices = (await tool("ffmpeg", ["-hide_banner", "-devices"]))?.out ?? "";
  for (const dev of ["alsa", "v4l2"]) {
    const has = new RegExp(`^\\s*D\\S*\\s+(\\S*,)?${dev}\\b`, "m").test(devices);
    f.push({ section: "system", mark: has ? "ok" : "warn", text: `ffmpeg input ${dev}${has ? "" : " missing"}` });
  }
}

function checkGroups(f: Finding[]): void {
  const user = userInfo().username;
  let groups: string[] = [];
  try {
    const line = readFileSync("/etc/group", "utf8").split("\n");
    groups = line.filter((l) => l.split(":")[3]?.split(",").includes(user)).map((l) => l.split(":")[0]);
  } catch {
    // No /etc/group: nothing to say.
  }
  if (user === "root") {
    f.push({ section: "permissions", mark: "info", text: "running as root; the service runs as the wachter user, which install.sh puts in dialout, audio and video" });
    return;
  }
  for (const g of ["dialout", "audio", "video"]) {
    const has = groups.includes(g);
    f.push({ section: "permissions", mark: has ? "ok" : "warn", text: `${user} is ${has ? "" : "not "}in group ${g}`, fix: has ? undefined : `sudo usermod -aG ${g} ${user} (then log in again)` });
  }
}

async function checkSerial(f: Finding[]): Promise<void> {
  const byId = existsSync("/dev/serial/by-id") ? readdirSync("/dev/serial/by-id").map((n) => `/dev/serial/by-id/${n}`) : [];
  const stable = new Map(byId.map((p) => [realpathSync(p), p]));
  try {
    const ports = await SerialPort.list();
    const usb = ports.filter((p) => p.vendorId || stable.has(p.path));
    if (usb.length === 0) f.push({ section: "serial", mark: "info", text: "no USB serial ports found (plug in the sensor board)" });
    for (const p of usb) {
      f.push({ section: "serial", mark: "ok", text: `${stable.get(p.path) ?? p.path} → ${p.path}${p.manufacturer ? ` (${p.manufacturer}${p.vendorId ? ` ${p.vendorId}:${p.productId}` : ""})` : ""}` });
    }
  } catch (err) {
    f.push({ section: "serial", mark: "warn", text: `cannot list serial ports: ${(err as Error).message}`, fix: "install udev (udevadm is needed to list ports)" });
    for (const p of byId) f.push({ section: "serial", mark: "ok", text: p });
  }
}

async function checkAlsa(f: Finding[]): Promise<void> {
  const arecord = await tool("arecord", ["-l"]);
  if (arecord) {
    const cards = arecord.out.split("\n").filter((l) => l.startsWith("card "));
    if (cards.length === 0) f.push({ section: "microphones", mark: "info", text: "no ALSA capture devices (plug in the USB microphone)" });
    for (const c of cards) {
      const m = /^card (\d+): (\S+) \[(.*?)\], device (\d+): /.exec(c);
      f.push({ section: "microphones", mark: "ok", text: m ? `${m[3]}: device "plughw:CARD=${m[2]},DEV=${m[4]}" (or hw:${m[1]},${m[4]})` : c });
    }
    return;
  }
  f.push({ section: "microphones", mark: "warn", text: "arecord not found; reading /proc/asound instead", fix: "sudo apt install alsa-utils" });
  const pcm = existsSync("/proc/asound/pcm") ? readFileSync("/proc/asound/pcm", "utf8").split("\n").filter((l) => l.includes("capture")) : [];
  if (pcm.length === 0) f.push({ section: "microphones", mark: "info", text: "no ALSA capture devices" });
  for (const l of pcm) f.push({ section: "microphones", mark: "ok", text: l.trim() });
}

async function checkVideo(f: Finding[]): Promise<void> {
  const nodes = existsSync("/dev") ? readdirSync("/dev").filter((n) => /^video\d+$/.test(n)).map((n) => `/dev/${n}`) : [];
  if (nodes.length === 0) {
    f.push({ section: "cameras", mark: "info", text: "no V4L2 devices (plug in the thermal camera)" });
    return;
  }
  const v4l2 = await tool("v4l2-ctl", ["--version"]);
  if (!v4l2) f.push({ section: "cameras", mark: "warn", text: "v4l2-ctl not found; asking ffmpeg for formats", fix: "sudo apt install v4l-utils" });
  for (const dev of nodes) {
    const formats = v4l2 ? ((await tool("v4l2-ctl", ["-d", dev, "--list-formats"]))?.out ?? "") : ((await tool("ffmpeg", ["-hide_banner", "-f", "v4l2", "-list_formats", "all", "-i", dev]))?.err ?? "");
    const y16 = /\bY16\b|gray16le/i.test(formats);
    f.push({ section: "cameras", mark: "ok", text: `${dev}${y16 ? ": Y16 radiometric (use type: thermal-uvc)" : formats.trim() ? "" : ": no capture formats (not a capture node)"}` });
  }
}

async function probeSources(config: Config, seconds: number, f: Finding[]): Promise<void> {
  if (config.sources.length === 0) return;
  const hub = new Hub(quiet, 100);
  hub.start(100);
  const set = new SourceSet(hub, config.video, quiet);
  set.create(config.sources);
  set.startAll();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  for (const s of hub.sourceStates()) {
    const channels = hub.channelStates().filter((c) => c.info.source === s.id && c.last);
    const up = s.status.state === "up" && s.readings > 0;
    f.push({
      section: "configured sources",
      mark: up ? "ok" : "fail",
      text: `${s.id}: ${s.status.state}${s.status.detail ? ` (${s.status.detail})` : ""}; ${s.readings} readings, ${s.rejects} rejected in ${seconds} s${channels.length ? `; e.g. ${channels[0].info.id} = ${channels[0].last!.value}` : ""}`,
      fix: up ? (s.rejects > 0 ? `some input was rejected: last reason "${s.lastReject}"` : undefined) : "check the device, its path in the configuration and the permissions above",
    });
  }
  await set.stopAll();
  hub.stop();
}

const SYMBOL: Record<Mark, string> = { ok: "✓", warn: "!", fail: "✗", info: "·" };

/** Lists what the gateway can use on this machine and tries the configured sources. */
export async function doctor(config: Config | undefined, seconds: number, print: (line: string) => void): Promise<number> {
  const f: Finding[] = [];
  await checkNode(f);
  await checkFfmpeg(f);
  checkGroups(f);
  await checkSerial(f);
  await checkAlsa(f);
  await checkVideo(f);
  if (config) await probeSources(config, seconds, f);
  let section = "";
  for (const x of f) {
    if (x.section !== section) {
      section = x.section;
      print(`\n${section}`);
    }
    print(`  ${SYMBOL[x.mark]} ${x.text}`);
    if (x.fix) print(`      fix: ${x.fix}`);
  }
  const failed = f.filter((x) => x.mark === "fail").length;
  print(`\n${failed === 0 ? "Everything needed works." : `${failed} problem(s) to fix.`}`);
  return failed === 0 ? 0 : 1;
}
