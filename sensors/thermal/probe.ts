import { existsSync, readdirSync } from "node:fs";
import { tool, type Finding } from "../../common/findings.js";

/** V4L2 capture nodes, and which of them offer Y16 (radiometric) frames. */
export async function videoDevices(): Promise<Finding[]> {
  const f: Finding[] = [];
  const nodes = existsSync("/dev") ? readdirSync("/dev").filter((n) => /^video\d+$/.test(n)).map((n) => `/dev/${n}`) : [];
  if (nodes.length === 0) {
    f.push({ section: "cameras", mark: "info", text: "no V4L2 devices (plug in the thermal camera)" });
    return f;
  }
  const v4l2 = await tool("v4l2-ctl", ["--version"]);
  if (!v4l2) f.push({ section: "cameras", mark: "warn", text: "v4l2-ctl not found; asking ffmpeg for formats", fix: "sudo apt install v4l-utils" });
  for (const dev of nodes) {
    const formats = v4l2 ? ((await tool("v4l2-ctl", ["-d", dev, "--list-formats"]))?.out ?? "") : ((await tool("ffmpeg", ["-hide_banner", "-f", "v4l2", "-list_formats", "all", "-i", dev]))?.err ?? "");
    const y16 = /\bY16\b|gray16le/i.test(formats);
    f.push({ section: "cameras", mark: "ok", text: `${dev}${y16 ? ": Y16 radiometric (use type: thermal-uvc)" : formats.trim() ? "" : ": no capture formats (not a capture node)"}` });
  }
  return f;
}
