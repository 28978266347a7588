// A worker thread for IdleWorker's tests: it answers the job "answer" and never the job "hang".
import { parentPort } from "node:worker_threads";

parentPort.on("message", ({ id, job }) => {
  if (job === "answer") parentPort.postMessage({ id, result: "answered" });
});
