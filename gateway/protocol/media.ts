/**
 * The `media` data channel, version 1 (docs/protocol.md): created by the viewer, it tells the
 * gateway which of the session's media tracks the viewer does not need now: cameras' videos and
 * microphones' sounds, by stream id (a camera and a microphone may share one). The gateway sends
 * those no RTP, and stops an encoder nobody needs. Each message replaces the last. Shared by the
 * gateway and the dashboard, so it imports nothing.
 *
 *   {"v":1,"t":"paused","video":["sim"],"audio":["sim"]}
 */
export const MEDIA_LABEL = "media";

export interface MediaPausedMsg {
  v: 1;
  t: "paused";
  video: string[];
  audio: string[];
}

/** What a viewer pauses: cameras' videos and microphones' sounds, by id. */
export type MediaPaused = Pick<MediaPausedMsg, "video" | "audio">;

/** The WHEP offer's `paused` query parameter for what a viewer does not want from the start: "video:sim,audio:sim". */
export function pausedQuery(paused: MediaPaused): string {
  return [...paused.video.map((id) => `video:${id}`), ...paused.audio.map((id) => `audio:${id}`)].join(",");
}

/** The most a viewer may send in one message. */
export const MEDIA_LIMITS = { bytes: 4096, streams: 64, idLength: 128 } as const;
