import { afterEach, expect, it } from "vitest";
import type { IdleWorker } from "../../common/idleWorker.js";
import { drawPicture, pictureWorker as newPictureWorker, type PictureJob } from "../../gateway/incidents/pictures.js";
import type { WireFrame } from "../../gateway/protocol/thermal.js";

// The worker runs as built (npm test builds first): the source tree has no pictureWorker.js.
const script = new URL("../../dist/gateway/incidents/pictureWorker.js", import.meta.url);
const workers: Array<IdleWorker<PictureJob, Uint8Array>> = [];
afterEach(() => workers.splice(0).forEach((w) => w.close()));
const pictureWorker = (idleMs?: number) => {
  const w = newPictureWorker({ script, idleMs });
  workers.push(w);
  return w;
};

const [W, H] = [32, 24];
const frame: WireFrame = { camera: "cam", width: W, height: H, seq: 1, ts: 0, min: 18, max: 64, mean: 30, hotX: 20, hotY: 9, celsius: new Float32Array(W * H).map((_, i) => 18 + ((i * 37) % 47)) };
const still: PictureJob = { kind: "still", frame, regions: [{ x: 16, y: 4, width: 8, height: 8 }] };
const spectrogram: PictureJob = { kind: "spectrogram", columns: Array.from({ length: 50 }, (_, i) => ({ ts: i * 100, bins: new Uint8Array(64).map((_, b) => (b * 5 + i) % 256) })), firingAt: 2500 };

it("draws the same bytes on its thread as on this one (a record's CID depends on them)", async () => {
  const w = pictureWorker();
  for (const job of [still, spectrogram]) expect(Buffer.from(await w.run(job)).equals(Buffer.from(drawPicture(job)))).toBe(true);
});

it("draws pictures asked for at once, each answer to its own question", async () => {
  const w = pictureWorker();
  const [a, b, c] = await Promise.all([w.run(still), w.run(spectrogram), w.run(still)]);
  expect(Buffer.from(a).equals(Buffer.from(c))).toBe(true);
  expect(Buffer.from(b).equals(Buffer.from(drawPicture(spectrogram)))).toBe(true);
});

it("fails a picture that cannot be drawn with the reason, and draws the next", async () => {
  const w = pictureWorker();
  const broken = { kind: "still", frame: { ...frame, celsius: undefined }, regions: [] } as unknown as PictureJob;
  await expect(w.run(broken)).rejects.toThrow(/^the picture worker failed: /);
  expect((await w.run(still)).length).toBeGreaterThan(100);
});

it("ends its thread when idle and starts another for the next picture", async () => {
  const w = pictureWorker(200);
  expect(w.running).toBe(false);
  await w.run(still);
  expect(w.running).toBe(true);
  await new Promise((r) => setTimeout(r, 500));
  expect(w.running).toBe(false);
  expect(Buffer.from(await w.run(still)).equals(Buffer.from(drawPicture(still)))).toBe(true);
});

it("fails what waits on it when stopped", async () => {
  const w = pictureWorker();
  const waiting = w.run(still);
  w.close();
  await expect(waiting).rejects.toThrow("the picture worker was stopped");
  expect(w.running).toBe(false);
});

it("is not disturbed by the exit of a thread it replaced in the same turn", async () => {
  const w = pictureWorker();
  const first = w.run(still);
  w.close();
  const second = w.run(still);
  await expect(first).rejects.toThrow("the picture worker was stopped");
  expect(Buffer.from(await second).equals(Buffer.from(drawPicture(still)))).toBe(true);
});
