import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { thermalUvcSchema, UvcThermalSource } from "../../sensors/index.js";
import { FifoDevice } from "../helpers/fifoDevice.js";
import { waitFor } from "../helpers/ports.js";
import { quietLog, recordingHub } from "../helpers/sinkRecorder.js";

const W = 160;
const H = 120;

/** Y16 frames as a PureThermal board sends them: centikelvin, plus two telemetry rows of junk. */
function y16Frame(offsetCk: number): Buffer {
  const buf = Buffer.alloc(W * (H + 2) * 2, 0xff);
  for (let i = 0; i < W * H; i++) buf.writeUInt16LE(27315 + 2000 + offsetCk + (i % 5000), i * 2);
  return buf;
}

const expectedCelsius = (offsetCk: number, i: number) => (2000 + offsetCk + (i % 5000)) / 100;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe("UVC radiometric camera through the real ffmpeg (synthetic Y16 source)", () => {
  it("reads Y16 frames, drops the telemetry rows, gives exact °C, and survives ffmpeg being killed", async () => {
    const fifo = join(mkdtempSync(join(tmpdir(), "wachter-y16-")), "camera.y16");
    execFileSync("mkfifo", [fifo]);
    const rec = recordingHub();
    const options = thermalUvcSchema.parse({
      id: "lepton",
      type: "thermal-uvc",
      input: "rawvideo",
      device: fifo,
      telemetryRows: 2,
      rois: [{ name: "left", x: 0, y: 0, width: 10, height: 120 }],
    });
    const source = new UvcThermalSource(options, rec.hub.sinkFor("lepton"), quietLog);
    const frames: Array<{ celsius: Float32Array }> = [];
    rec.hub.subscribe((e) => e.type === "frame" && frames.push(e.frame));
    source.start();
    cleanups.push(() => source.stop(), () => rec.hub.stop());

    let offset = 0;
    const camera = new FifoDevice(fifo, () => y16Frame(offset));
    camera.start();
    cleanups.push(() => camera.stop());
    await waitFor("frames", () => frames.length >= 3, 10_000);
    const got = frames.at(-1)!.celsius;
    expect(got.length).toBe(W * H);
    for (const i of [0, 1, 4999, 5000, W * H - 1]) expect(Math.round(got[i] * 100) / 100).toBeCloseTo(expectedCelsius(0, i), 5);
    expect(rec.source("lepton")!.status.state).toBe("up");
    expect(rec.values("thermal.lepton.left.max").length).toBeGreaterThanOrEqual(3);

    const firstPid = source.ffmpegPid!;
    process.kill(firstPid, "SIGKILL");
    await waitFor("source down after ffmpeg died", () => rec.source("lepton")?.status.state === "down");
    expect(rec.source("lepton")!.status.detail).toMatch(/ffmpeg camera lepton exited \(SIGKILL\)/);
    offset = 500;
    await waitFor("frames again from a new ffmpeg", () => Math.round((frames.at(-1)?.celsius[0] ?? 0) * 100) === 2500, 15_000);
    expect(source.ffmpegPid).not.toBe(firstPid);
    expect(rec.source("lepton")!.status.state).toBe("up");
  });

  it("restarts a camera that is open but delivers nothing (a wedged device)", async () => {
    const fifo = join(mkdtempSync(join(tmpdir(), "wachter-y16-")), "wedged.y16");
    execFileSync("mkfifo", [fifo]);
    const rec = recordingHub();
    const source = new UvcThermalSource(thermalUvcSchema.parse({ id: "wedged", type: "thermal-uvc", input: "rawvideo", device: fifo }), rec.hub.sinkFor("wedged"), quietLog);
    source.start();
    // The device end is open, so ffmpeg waits for frames that never come.
    const device = await open(fifo, "w");
    cleanups.push(() => source.stop(), () => rec.hub.stop(), () => device.close().catch(() => {}));
    const firstPid = source.ffmpegPid;
    await waitFor("restart after the stall", () => /restarted: no output for 5 s/.test(rec.source("wedged")?.status.detail ?? "") || undefined, 12_000);
    expect(rec.source("wedged")!.status.state).toBe("down");
    await waitFor("a new ffmpeg", () => (source.ffmpegPid !== undefined && source.ffmpegPid !== firstPid) || undefined, 5000);
  });

  it("reports a missing camera with ffmpeg's own error and keeps retrying", async () => {
    const rec = recordingHub();
    const options = thermalUvcSchema.parse({ id: "gone", type: "thermal-uvc", device: "/dev/video-not-there" });
    const source = new UvcThermalSource(options, rec.hub.sinkFor("gone"), quietLog);
    source.start();
    cleanups.push(() => source.stop(), () => rec.hub.stop());
    await waitFor("down with the reason", () => rec.source("gone")?.status.state === "down", 10_000);
    expect(rec.source("gone")!.status.detail).toMatch(/\/dev\/video-not-there/);
  });
});
