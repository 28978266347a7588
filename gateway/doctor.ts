import { readFileSync } from "node:fs";
import { userInfo } from "node:os";
import { tool, type Finding } from "../common/findings.js";
import { kindOf, SOURCE_KINDS } from "../sensors/index.js";
import type { Config } from "./config/schema.js";
import { Hub } from "./hub/hub.js";
import { SourceSet } from "./sourceSet.js";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

async function checkNode(f: Finding[]): Promise<void> {
  const [major, minor] = process.versions.node.split(".").map(Number);
  const ok = major > 20 || (major === 20 && minor >= 19);
  f.push({ section: "system", mark: ok ? "ok" : "fail", text: `Node.js ${process.versions.node}`, fix: ok ? undefined : "install Node.js 24 LTS (see the README)" });
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

/** Each kind's device listing; kinds that share hardware share the function, which runs once. */
async function checkDevices(f: Finding[]): Promise<void> {
  for (const probe of new Set(SOURCE_KINDS.map((k) => k.devices).filter((p) => p !== undefined))) f.push(...(await probe()));
}

async function probeSources(config: Config, seconds: number, f: Finding[]): Promise<void> {
  for (const source of config.sources) {
    const check = kindOf(source.type).check;
    if (check) f.push(...(await check(source as never, quiet)));
  }
  const generic = config.sources.filter((s) => !kindOf(s.type).check);
  if (generic.length === 0) return;
  const hub = new Hub(quiet, 100);
  hub.start(100);
  const set = new SourceSet(hub, config.video, quiet);
  set.create(generic);
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

const SYMBOL: Record<Finding["mark"], string> = { ok: "✓", warn: "!", fail: "✗", info: "·" };

/** Lists what the gateway can use on this machine and tries the configured sources. */
export async function doctor(config: Config | undefined, seconds: number, print: (line: string) => void): Promise<number> {
  const f: Finding[] = [];
  await checkNode(f);
  await checkFfmpeg(f);
  checkGroups(f);
  await checkDevices(f);
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
