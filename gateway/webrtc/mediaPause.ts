import { z } from "zod";
import { MEDIA_LIMITS } from "../protocol/media.js";

/** A track as the pause sets hold it: a camera and a microphone may share an id. */
export const trackKey = (kind: "video" | "audio", id: string) => `${kind} ${id}`;

const streamIds = z.array(z.string().max(MEDIA_LIMITS.idLength)).max(MEDIA_LIMITS.streams);
const pausedMsg = z.object({ v: z.literal(1), t: z.literal("paused"), video: streamIds, audio: streamIds });

/** What a `media` message pauses (as trackKey), or why the message is refused. */
export function parsePaused(data: string | Buffer): { paused: Set<string> } | { error: string } {
  if (Buffer.byteLength(data) > MEDIA_LIMITS.bytes) return { error: `a media message may have at most ${MEDIA_LIMITS.bytes} bytes` };
  let json: unknown;
  try {
    json = JSON.parse(data.toString());
  } catch {
    return { error: "a media message must be JSON" };
  }
  const parsed = pausedMsg.safeParse(json);
  if (!parsed.success) return { error: `not a media message: ${parsed.error.issues[0].path.join(".") || "message"}: ${parsed.error.issues[0].message}` };
  return { paused: new Set([...parsed.data.video.map((id) => trackKey("video", id)), ...parsed.data.audio.map((id) => trackKey("audio", id))]) };
}

/**
 * The WHEP offer's `paused` query parameter ("video:sim,audio:sim"): what a viewer does not want
 * from the start, so that its join starts no encoder it would pause at once. As trackKey.
 */
export function parsePausedQuery(value: unknown): { paused: Set<string> } | { error: string } {
  if (value === undefined || value === "") return { paused: new Set() };
  if (typeof value !== "string") return { error: "paused: give it once, as kind:id,kind:id" };
  if (Buffer.byteLength(value) > MEDIA_LIMITS.bytes) return { error: `paused: at most ${MEDIA_LIMITS.bytes} bytes` };
  const items = value.split(",");
  if (items.length > 2 * MEDIA_LIMITS.streams) return { error: `paused: at most ${2 * MEDIA_LIMITS.streams} tracks` };
  const paused = new Set<string>();
  for (const item of items) {
    const m = /^(video|audio):(.+)$/.exec(item);
    if (!m || m[2].length > MEDIA_LIMITS.idLength) return { error: `paused: "${item.slice(0, 40)}" is not video:<camera> or audio:<microphone>` };
    paused.add(trackKey(m[1] as "video" | "audio", m[2]));
  }
  return { paused };
}
