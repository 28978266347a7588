import { z } from "zod";
import { MEDIA_LIMITS } from "../protocol/media.js";

const streamIds = z.array(z.string().max(MEDIA_LIMITS.idLength)).max(MEDIA_LIMITS.streams);
const pausedMsg = z.object({ v: z.literal(1), t: z.literal("paused"), video: streamIds, audio: streamIds });

/** What a `media` message pauses, as "kind stream id" (a camera and a microphone may share an id), or why the message is refused. */
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
  return { paused: new Set([...parsed.data.video.map((id) => `video ${id}`), ...parsed.data.audio.map((id) => `audio ${id}`)]) };
}

/**
 * The WHEP offer's `paused` query parameter ("video:sim,audio:sim"): what a viewer does not want
 * from the start, so that its join starts no encoder it would pause at once. As "kind stream id".
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
    paused.add(`${m[1]} ${m[2]}`);
  }
  return { paused };
}
