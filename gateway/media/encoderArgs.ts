import type { VideoConfig } from "./schema.js";

/**
 * The fixed ffmpeg command that turns raw RGB frames on stdin into RTP on a loopback port.
 * Only numbers from validated configuration are substituted; no path or URL from anywhere else.
 */
export function thermalEncoderArgs(srcWidth: number, srcHeight: number, rtpPort: number, cfg: VideoConfig): string[] {
  const input = [
    "-hide_banner", "-loglevel", "error",
    "-probesize", "32", "-analyzeduration", "0", "-fflags", "nobuffer",
    // Frames arrive when the camera delivers them; stamp them with their arrival time.
    "-use_wallclock_as_timestamps", "1",
    "-f", "rawvideo", "-pix_fmt", "rgb24", "-video_size", `${srcWidth}x${srcHeight}`, "-i", "pipe:0",
    "-vf", `scale=${cfg.width}:${cfg.height}:flags=bicubic,format=yuv420p`,
    "-fps_mode", "passthrough",
    // A keyframe every second: a viewer who joins sees a picture within one second.
    "-force_key_frames", "expr:gte(t,n_forced*1)",
  ];
  // One thread, and libvpx's fastest realtime speed: the picture is a smooth upscale of a few
  // hundred pixels, which the fastest settings encode as well, and a Pi's other cores stay free.
  // ffmpeg alone on the simulated camera's frames: 2.8 % of a core at 320×240, against 17.9 % with
  // cpu-used 8 and its default threads at 640×480 (the earlier defaults).
  const codec =
    cfg.codec === "vp8"
      ? ["-threads", "1", "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "16", "-lag-in-frames", "0", "-error-resilient", "1", "-auto-alt-ref", "0", "-b:v", `${cfg.bitrateKbps}k`, "-g", "600"]
      : ["-threads", "1", "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-profile:v", "baseline", "-level", "3.1", "-b:v", `${cfg.bitrateKbps}k`, "-g", "600", "-bsf:v", "dump_extra"];
  return [...input, ...codec, "-an", "-f", "rtp", "-payload_type", "96", `rtp://127.0.0.1:${rtpPort}?pkt_size=1200`];
}
