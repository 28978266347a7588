import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { thermalMqttSchema } from "../../sensors/thermal-mqtt/schema.js";
import { ThermalMqttSource } from "../../sensors/thermal-mqtt/thermalMqttSource.js";
import { Mosquitto } from "../helpers/mosquitto.js";
import { waitFor } from "../helpers/ports.js";
import { quietLog, recordingHub } from "../helpers/sinkRecorder.js";

const run = promisify(execFile);
const W = 32;
const H = 24;
/** A warm housing at 30 °C with a hot bearing (3×3 at x 20–22, y 10–12) peaking at 71.25 °C. */
function scene(peak = 71.25): number[] {
  return Array.from({ length: W * H }, (_, i) => {
    const x = i % W;
    const y = Math.floor(i / W);
    if (x === 21 && y === 11) return peak;
    return x >= 20 && x <= 22 && y >= 10 && y <= 12 ? 55.5 : 30 + (i % 7) / 4;
  });
}
function float32le(values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeFloatLE(v, i * 4));
  return b;
}
function int16le(values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => b.writeInt16LE(Math.round(v * 100), i * 2));
  return b;
}

describe("thermal frames over MQTT, against a real Mosquitto and mosquitto_pub", () => {
  const broker = new Mosquitto();
  const dir = mkdtempSync(join(tmpdir(), "wachter-thermal-mqtt-"));
  beforeAll(() => broker.start());
  afterAll(async () => {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Replays a frame file as an ESP32 would publish it. */
  async function publishFile(topic: string, name: string, bytes: Buffer | string): Promise<void> {
    const file = join(dir, name);
    writeFileSync(file, bytes);
    await run("mosquitto_pub", ["-h", "127.0.0.1", "-p", String(broker.port), "-t", topic, "-f", file]);
  }

  function camera(rec: ReturnType<typeof recordingHub>, id: string, topic: string, format: object, extra: object = {}) {
    const options = thermalMqttSchema.parse({ id, type: "thermal-mqtt", url: broker.url, topic, format, ...extra });
    const source = new ThermalMqttSource(options, rec.hub.sinkFor(id), quietLog);
    source.start();
    return source;
  }

  it("decodes float32le, base64 int16le and JSON frames into camera frames, regions and channels, and rejects bad frames with the reason", async () => {
    const rec = recordingHub();
    const sources = [
      camera(rec, "mould", "plant/mould/thermal", { encoding: "float32le" }, { rois: [{ name: "bearing", x: 20, y: 10, width: 3, height: 3 }] }),
      camera(rec, "esp", "plant/esp/thermal", { encoding: "int16le", base64: true }),
      camera(rec, "pi", "plant/pi/thermal", { encoding: "json" }),
    ];
    try {
      await waitFor("all subscribed", () => ["mould", "esp", "pi"].every((id) => rec.source(id)?.status.state === "up"));
      expect(rec.source("mould")!.status.detail).toBe(`${broker.url} plant/mould/thermal: subscribed, no frame yet`);

      await publishFile("plant/mould/thermal", "mould.f32", float32le(scene()));
      await publishFile("plant/esp/thermal", "esp.b64", int16le(scene(66)).toString("base64"));
      await publishFile("plant/pi/thermal", "pi.json", JSON.stringify(scene(80)));
      await waitFor("three frames", () => ["mould", "esp", "pi"].every((id) => rec.hub.latestFrame(id)));

      const frame = rec.hub.latestFrame("mould")!;
      expect([frame.width, frame.height]).toEqual([W, H]);
      expect([...frame.celsius]).toEqual(scene());
      expect(rec.values("thermal.mould.max")).toEqual([71.25]);
      expect(rec.values("thermal.mould.bearing.max")).toEqual([71.25]);
      expect(rec.values("thermal.mould.bearing.min")).toEqual([55.5]);
      expect(rec.values("thermal.mould.bearing.mean")).toEqual([Math.round(((8 * 55.5 + 71.25) / 9) * 100) / 100]);
      expect(rec.values("thermal.esp.max")).toEqual([66]);
      expect(rec.values("thermal.pi.max")).toEqual([80]);
      expect(rec.hub.cameraStates().find((c) => c.info.id === "mould")).toMatchObject({ stale: false, info: { width: W, height: H } });
      expect(rec.source("mould")!.status.detail).toBe(`${broker.url} plant/mould/thermal: 32×24 float32le frames`);

      const bad: Array<[string, Buffer | string, RegExp]> = [
        ["short.f32", float32le(scene()).subarray(0, 3000), /^plant\/mould\/thermal: expected 3072 bytes \(32×24 float32le\), got 3000$/],
        ["int16.bin", int16le(scene()), /expected 3072 bytes .*got 1536/],
        ["nan.f32", float32le(scene().map((v, i) => (i === 9 ? NaN : v))), /pixel 9 is NaN/],
        ["hot.f32", float32le(scene(3000)), /pixel 373 \(3000 °C\) is outside the plausible/],
        // Within the room the broker is given above a frame's size, so it arrives and is refused here.
        ["big.bin", Buffer.alloc(4000, 1), /payload of 4000 bytes is larger than a 32×24 float32le frame can be \(3072\)/],
      ];
      for (const [name, bytes, reason] of bad) {
        const before = rec.source("mould")!.rejects;
        await publishFile("plant/mould/thermal", name, bytes);
        await waitFor(`${name} rejected`, () => rec.source("mould")!.rejects === before + 1);
        expect(rec.source("mould")!.lastReject).toMatch(reason);
      }
      await publishFile("plant/esp/thermal", "esp.garbled", "not//base64!!");
      await publishFile("plant/pi/thermal", "pi.short.json", JSON.stringify(scene().slice(0, 700)));
      await waitFor("those rejected", () => rec.source("esp")!.rejects === 1 && rec.source("pi")!.rejects === 1);
      expect(rec.source("esp")!.lastReject).toMatch(/not base64/);
      expect(rec.source("pi")!.lastReject).toMatch(/got 700 elements/);

      // Over the Maximum Packet Size the source connected with: the broker never sends it.
      await publishFile("plant/mould/thermal", "huge.bin", Buffer.alloc(1 << 20, 1));
      await publishFile("plant/mould/thermal", "mould2.f32", float32le(scene(72.5)));
      await waitFor("the next good frame", () => rec.values("thermal.mould.max").length === 2);
      expect(rec.values("thermal.mould.max")).toEqual([71.25, 72.5]);
      expect(rec.source("mould")!.rejects).toBe(5);
    } finally {
      for (const s of sources) await s.stop();
      rec.hub.stop();
    }
  });

  it("reassembles frames an ESP32 with a 256-byte MQTT buffer sends in parts, and drops a frame with a lost part", async () => {
    const rec = recordingHub();
    const source = camera(rec, "small", "plant/small/thermal", { encoding: "float32le", split: true });
    try {
      await waitFor("subscribed", () => rec.source("small")?.status.state === "up");
      const parts = (frame: number, peak: number) => {
        const bytes = float32le(scene(peak));
        return Array.from({ length: 24 }, (_, part) => JSON.stringify({ frame, part, parts: 24, data: bytes.subarray(part * 128, (part + 1) * 128).toString("base64") }));
      };
      const lossy = parts(1, 65).filter((_, i) => i !== 5);
      for (const [i, p] of [...lossy, ...parts(2, 66)].entries()) {
        // PubSubClient needs 5 header bytes, 2 for the topic length, the topic and the payload.
        expect(5 + 2 + "plant/small/thermal".length + p.length).toBeLessThanOrEqual(256);
        await publishFile("plant/small/thermal", `part${i}.json`, p);
      }
      await waitFor("the complete frame", () => rec.values("thermal.small.max").length === 1);
      expect(rec.values("thermal.small.max")).toEqual([66]);
      expect(rec.hub.latestFrame("small")!.celsius[373]).toBe(66);
      expect(rec.source("small")!.rejects).toBe(1);
      expect(rec.source("small")!.lastReject).toBe("plant/small/thermal: frame 1 incomplete: 23 of 24 parts arrived");
      expect(rec.source("small")!.status.detail).toMatch(/32×24 split float32le frames$/);
    } finally {
      await source.stop();
      rec.hub.stop();
    }
  });

  it("keeps up with a fast publisher, goes offline with the broker and resumes when it is back", async () => {
    const rec = recordingHub();
    const source = camera(rec, "fast", "plant/fast/thermal", { encoding: "float32le" }, { qos: 1, staleAfter: "1s" });
    let frames = 0;
    const unsubscribe = rec.hub.subscribe((e) => {
      if (e.type === "frame") frames++;
    });
    const publisher = await mqtt.connectAsync(broker.url, { reconnectPeriod: 200 });
    try {
      await waitFor("subscribed", () => rec.source("fast")?.status.state === "up");
      const payloads = Array.from({ length: 400 }, (_, i) => float32le(scene(60 + i / 100)));
      const t0 = performance.now();
      await Promise.all(payloads.map((p) => publisher.publishAsync("plant/fast/thermal", p, { qos: 1 })));
      await waitFor("every frame", () => frames === 400, 20_000, 5);
      const seconds = (performance.now() - t0) / 1000;
      console.log(`thermal-mqtt: 400 frames of 32×24 float32le through Mosquitto in ${seconds.toFixed(2)} s (${(400 / seconds).toFixed(0)} frames/s)`);
      expect(rec.values("thermal.fast.max").at(-1)).toBe(63.99);

      await broker.stop();
      await waitFor("source down", () => rec.source("fast")?.status.state === "down", 10_000);
      await waitFor("camera offline", () => rec.hub.cameraStates().find((c) => c.info.id === "fast")?.stale, 5000);
      await broker.start();
      await waitFor("source up again", () => rec.source("fast")?.status.state === "up", 20_000);
      await publishFile("plant/fast/thermal", "after.f32", float32le(scene(50)));
      await waitFor("a frame after the restart", () => frames === 401, 5000);
      expect(rec.hub.cameraStates().find((c) => c.info.id === "fast")?.stale).toBe(false);
    } finally {
      unsubscribe();
      await publisher.endAsync(true);
      await source.stop();
      rec.hub.stop();
    }
  });
});
