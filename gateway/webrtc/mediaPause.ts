import { z } from "zod";
import { MEDIA_LIMITS } from "../protocol/media.js";

const streamIds = z.array(z.string().max(MEDIA_LIMITS.idLength)).max(MEDIA_LIMITS.streams);
const pausedMsg = z.object({ v: z.literal(1), t: z.literal("paused"), video: streamIds, audio: streamIds });

/** What a `media` message pauses, as "kind stream id" (a camera and a microphone may share an id), or why the message is refused. */
export function parsePaused(data: string | Buffer): { paused: Set<string> } | { error: string } {
  if (data.length > MEDIA_LIMITS.bytes) return { error: `a media message may have at most ${MEDIA_LIMITS.bytes} bytes` };
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
