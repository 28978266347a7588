import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { FifoDevice } from "../helpers/fifoDevice.js";

it("the test FIFO device stops even while it waits for a reader that is gone (teardown used to hang)", async () => {
  const fifo = join(mkdtempSync(join(tmpdir(), "wachter-fifo-")), "dev");
  execFileSync("mkfifo", [fifo]);
  const device = new FifoDevice(fifo, () => Buffer.alloc(64, 1), 50);
  device.start();
  const reader = await open(fifo, "r");
  const { bytesRead } = await reader.read(Buffer.alloc(64), 0, 64, null);
  expect(bytesRead).toBeGreaterThan(0);
  await reader.close();
  // The device's next write fails, and it goes back to waiting for a reader.
  await new Promise((r) => setTimeout(r, 300));
  const stopped = await Promise.race([device.stop().then(() => "stopped"), new Promise((r) => setTimeout(() => r("hung"), 3000))]);
  expect(stopped).toBe("stopped");
});
