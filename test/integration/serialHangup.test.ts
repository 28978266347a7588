import { constants, openSync, closeSync, writeSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { SerialPort } from "serialport";
import { SerialSource, serialSourceSchema } from "../../sensors/index.js";
import { waitFor } from "../helpers/ports.js";
import { PtyPair } from "../helpers/socat.js";
import { quietLog, recordingHub } from "../helpers/sinkRecorder.js";

// patches/@serialport+bindings-cpp+13.0.0+001+hangup-waits-for-poller.patch: a hung-up tty (an
// unplugged USB adapter, here a pty whose master socat closed) reads 0 bytes at once, forever. A
// read that starts after the hang-up used to read again at once without end, so the port was
// never reported lost and a core spun on it.

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** CPU time this process spends while `wait` runs, in ms. */
async function cpuDuring(wait: Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  await wait;
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

describe("a serial device that hangs up", () => {
  it("is reported lost when the first read comes after the hang-up, without spinning", async () => {
    const pair = new PtyPair();
    await pair.start();
    cleanups.push(() => pair.unplug());
    const port = new SerialPort({ path: pair.device, baudRate: 115200 });
    cleanups.push(() => {
      port.removeAllListeners();
      if (port.isOpen) port.close();
    });
    await new Promise<void>((resolve, reject) => port.once("open", resolve).once("error", reject));
    await pair.unplug();
    // Nothing has read yet (no 'data' listener): the first read meets the hung-up tty.
    const lost = new Promise<string>((resolve) => {
      port.on("close", (err?: Error) => resolve(`close: ${err?.message}`));
      port.on("error", (err) => resolve(`error: ${err.message}`));
    });
    port.on("data", () => {});
    const outcome = Promise.race([lost, new Promise<string>((r) => setTimeout(() => r("not noticed in 2 s"), 2000))]);
    const cpuMs = await cpuDuring(outcome);
    expect(await outcome).toMatch(/^close: /);
    expect(cpuMs, "CPU time while waiting for the loss").toBeLessThan(300);
  });

  it("is noticed by the serial source however the unplug meets the reads of a streaming board", async () => {
    const rec = recordingHub();
    const pair = new PtyPair();
    const source = new SerialSource(
      serialSourceSchema.parse({ id: "board", type: "serial", path: pair.device, format: { type: "kv" }, fields: { t: { channel: "t" } } }),
      rec.hub.sinkFor("board"),
      quietLog,
    );
    cleanups.push(() => rec.hub.stop(), () => source.stop());
    const state = () => rec.source("board")?.status.state;
    const lossMs: number[] = [];
    cleanups.push(() => pair.unplug());
    for (let round = 0; round < 15; round++) {
      await pair.start();
      if (round === 0) source.start();
      await waitFor(`round ${round}: port open`, () => state() === "up", 15_000);
      // A board streaming as fast as the tty takes it, so that the unplug may come while a read is
      // on its way rather than while the port waits for data.
      const board = openSync(pair.board, constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
      const lines = Buffer.from("t=21.5\n".repeat(64));
      const flood = setInterval(() => {
        try {
          writeSync(board, lines);
        } catch {
          // EAGAIN while the gateway catches up; EIO once unplugged.
        }
      }, 1);
      try {
        await waitFor(`round ${round}: readings`, () => rec.values("t").length > 0, 5000);
        await new Promise((r) => setTimeout(r, 20 + round * 7));
        const unplugged = performance.now();
        await pair.unplug();
        await waitFor(`round ${round}: source down after unplug`, () => state() === "down", 3000);
        lossMs.push(performance.now() - unplugged);
      } finally {
        clearInterval(flood);
        closeSync(board);
      }
    }
    expect(Math.max(...lossMs)).toBeLessThan(3000);
  }, 120_000);
});
