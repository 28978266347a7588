import { expect, it } from "vitest";
import { IdleWorker, WorkerTimeoutError } from "../../common/idleWorker.js";

it("ends a thread that does not answer in time, fails its job as timed out, and answers the next on a new one", async () => {
  const w = new IdleWorker<string, string>(new URL("../helpers/answerWhenAsked.mjs", import.meta.url), "test worker", { idleMs: 1000, timeoutMs: 2000, maxWaiting: 4 });
  try {
    await expect(w.run("hang")).rejects.toThrow(WorkerTimeoutError);
    expect(w.running).toBe(false);
    expect(await w.run("answer")).toBe("answered");
  } finally {
    w.close();
  }
});

it("starts a thread when warmed for a job to come, and ends it when none came", async () => {
  const w = new IdleWorker<string, string>(new URL("../helpers/answerWhenAsked.mjs", import.meta.url), "test worker", { idleMs: 200, timeoutMs: 1000, maxWaiting: 4 });
  w.warm();
  expect(w.running).toBe(true);
  await new Promise((r) => setTimeout(r, 500));
  expect(w.running).toBe(false);
});
