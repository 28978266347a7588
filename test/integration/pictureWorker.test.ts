import { afterEach, expect, it } from "vitest";
import { drawPicture, PictureWorker, type PictureJob } from "../../gateway/incidents/pictures.js";
import type { WireFrame } from "../../gateway/protocol/thermal.js";

// The worker runs as built (npm test builds first): the source tree has no pictureWorker.js.
const script = new URL("../../dist/gateway/incidents/pictureWorker.js", import.meta.url);
const workers: PictureWorker[] = [];
afterEach(() => workers.splice(0).forEach((w) => w.close()));
const pictureWorker = (idleMs?: number) => {
  const w = new PictureWorker({ script, idleMs });
  workers.push(w);
  return w;
};

const [W, H] = [32, 24];
const frame: WireFrame = { camera: "cam", width: W, height: H, seq: 1, ts: 0, min: 18, max: 64, mean: 30, hotX: 20, hotY: 9, celsius: new Float32Array(W * H).map((_, i) => 18 + ((i * 37) % 47)) };
const still: PictureJob = { kind: "still", frame, regions: [{ x: 16, y: 4, width: 8, height: 8 }] };
const spectrogram: PictureJob = { kind: "spectrogram", columns: Array.from({ length: 50 }, (_, i) => ({ ts: i * 100, bins: new Uint8Array(64).map((_, b) => (b * 5 + i) % 256) })), firingAt: 2500 };

it("draws the same bytes on its thread as on this one (a record's CID depends on them)", async () => {
  const w = pictureWorker();
  for (const job of [still, spectrogram]) expect(Buffer.from(await w.draw(job)).equals(Buffer.from(drawPicture(job)))).toBe(true);
});

it("draws pictures asked for at once, each answer to its own question", async () => {
  const w = pictureWorker();
  const [a, b, c] = await Promise.all([w.draw(still), w.draw(spectrogram), w.draw(still)]);
  expect(Buffer.from(a).equals(Buffer.from(c))).toBe(true);
  expect(Buffer.from(b).equals(Buffer.from(drawPicture(spectrogram)))).toBe(true);
});

it("fails a picture that cannot be drawn with the reason, and draws the next", async () => {
  const w = pictureWorker();
  const broken = { kind: "still", frame: { ...frame, celsius: undefined }, regions: [] } as unknown as PictureJob;
  await expect(w.draw(broken)).rejects.toThrow(/^drawing a picture failed: /);
  expect((await w.draw(still)).length).toBeGreaterThan(100);
});

it("ends its thread when idle and starts another for the next picture", async () => {
  const w = pictureWorker(200);
  expect(w.running).toBe(false);
  await w.draw(still);
  expect(w.running).toBe(true);
  await new Promise((r) => setTimeout(r, 500));
  expect(w.running).toBe(false);
  expect(Buffer.from(await w.draw(still)).equals(Buffer.from(drawPicture(still)))).toBe(true);
});

it("fails what waits on it when stopped", async () => {
  const w = pictureWorker();
  const waiting = w.draw(still);
  w.close();
  await expect(waiting).rejects.toThrow("the picture worker was stopped");
  expect(w.running).toBe(false);
});
