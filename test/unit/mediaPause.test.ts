import { describe, expect, it } from "vitest";
import { MEDIA_LIMITS, pausedQuery } from "../../gateway/protocol/media.js";
import { parsePaused, parsePausedQuery } from "../../gateway/webrtc/mediaPause.js";

const msg = (video: unknown, audio: unknown = []) => JSON.stringify({ v: 1, t: "paused", video, audio });

describe("a viewer's media message", () => {
  it("names the videos and sounds it pauses, each by kind (a camera and a microphone may share an id)", () => {
    expect(parsePaused(msg(["sim"], ["sim", "gearbox"]))).toEqual({ paused: new Set(["video sim", "audio sim", "audio gearbox"]) });
    expect(parsePaused(Buffer.from(msg([])))).toEqual({ paused: new Set() });
  });

  it("refuses what is not one, with the reason", () => {
    expect(parsePaused("{")).toEqual({ error: "a media message must be JSON" });
    expect(parsePaused(JSON.stringify({ v: 2, t: "paused", video: [], audio: [] }))).toMatchObject({ error: expect.stringMatching(/^not a media message: v: /) });
    expect(parsePaused(JSON.stringify({ v: 1, t: "paused", video: [] }))).toMatchObject({ error: expect.stringMatching(/^not a media message: audio: /) });
    expect(parsePaused(msg("sim"))).toMatchObject({ error: expect.stringMatching(/^not a media message: video: /) });
    expect(parsePaused(msg(Array.from({ length: MEDIA_LIMITS.streams + 1 }, (_, i) => `s${i}`)))).toMatchObject({ error: expect.stringMatching(/video/) });
    expect(parsePaused(msg([], ["x".repeat(MEDIA_LIMITS.idLength + 1)]))).toMatchObject({ error: expect.stringMatching(/audio\.0/) });
    expect(parsePaused("x".repeat(MEDIA_LIMITS.bytes + 1))).toEqual({ error: `a media message may have at most ${MEDIA_LIMITS.bytes} bytes` });
  });

  it("reads the offer's paused query, or says what is wrong with it", () => {
    expect(parsePausedQuery(undefined)).toEqual({ paused: new Set() });
    expect(parsePausedQuery("")).toEqual({ paused: new Set() });
    expect(parsePausedQuery("video:sim,audio:sim,audio:gear box")).toEqual({ paused: new Set(["video sim", "audio sim", "audio gear box"]) });
    // As the dashboard writes it.
    expect(parsePausedQuery(pausedQuery({ video: ["sim"], audio: ["sim", "gear box"] }))).toEqual({ paused: new Set(["video sim", "audio sim", "audio gear box"]) });
    expect(parsePausedQuery(["video:a", "video:b"])).toEqual({ error: "paused: give it once, as kind:id,kind:id" });
    expect(parsePausedQuery("screen:sim")).toEqual({ error: 'paused: "screen:sim" is not video:<camera> or audio:<microphone>' });
    expect(parsePausedQuery("video:")).toMatchObject({ error: expect.stringMatching(/is not video/) });
    expect(parsePausedQuery(`video:${"x".repeat(MEDIA_LIMITS.idLength + 1)}`)).toMatchObject({ error: expect.stringMatching(/is not video/) });
    expect(parsePausedQuery(Array.from({ length: 2 * MEDIA_LIMITS.streams + 1 }, (_, i) => `video:${i}`).join(","))).toEqual({ error: `paused: at most ${2 * MEDIA_LIMITS.streams} tracks` });
  });
});
