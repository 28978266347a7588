import { parentPort } from "node:worker_threads";
import { drawPicture, type PictureJob } from "./pictures.js";

parentPort!.on("message", ({ id, job }: { id: number; job: PictureJob }) => {
  try {
    parentPort!.postMessage({ id, png: drawPicture(job) });
  } catch (err) {
    parentPort!.postMessage({ id, error: (err as Error).message });
  }
});
