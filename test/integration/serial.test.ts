import { appendFile } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { SerialSource, serialSourceSchema } from "../../sensors/index.js";
import { waitFor } from "../helpers/ports.js";
import { PtyPair } from "../helpers/socat.js";
import { quietLog, recordingHub } from "../helpers/sinkRecorder.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function serialSource(path: string, rec: ReturnType<typeof recordingHub>) {
  const options = serialSourceSchema.parse({
    id: "board",
    type: "serial",
    path,
    baudRate: 115200,
    format: { type: "kv" },
    staleAfter: "1s",
    fields: { t: { channel: "press.bearing", min: -55, max: 125 } },
  });
  const source = new SerialSource(options, rec.hub.sinkFor("board"), quietLog);
  cleanups.push(() => source.stop(), () => rec.hub.stop());
  return source;
}

describe("serial source on a real tty pair", () => {
  it("turns board output into readings, survives garbage, and recovers from unplug/replug", async () => {
    const pair = new PtyPair();
    await pair.start();
    cleanups.push(() => pair.unplug());
    const rec = recordingHub();
    serialSource(pair.device, rec).start();
    await waitFor("port open", () => rec.source("board")?.status.state === "up");

    await appendFile(pair.board, "t=21.5\r\n");
    await waitFor("first reading", () => rec.values("press.bearing").includes(21.5));

    // Line noise, a half line, binary junk and an implausible value, then good data again.
    await appendFile(pair.board, Buffer.concat([Buffer.from("\x00\xff\xfe garbage\nt=2"), Buffer.from([0x80, 0x81, 0x0a]), Buffer.from("t=-127\nt=22.25\n")]));
    await waitFor("reading after garbage", () => rec.values("press.bearing").includes(22.25));
    expect(rec.values("press.bearing")).toEqual([21.5, 22.25]);
    expect(rec.source("board")!.rejects).toBe(3);

    await pair.unplug();
    await waitFor("source down after unplug", () => rec.source("board")?.status.state === "down", 3000);
    await waitFor("channel stale", () => rec.channel("press.bearing")?.stale, 3000);

    await pair.start();
    await waitFor("port reopened after replug", () => rec.source("board")?.status.state === "up", 15_000);
    await appendFile(pair.board, "t=23\n");
    await waitFor("reading after replug", () => rec.values("press.bearing").includes(23));
    expect(rec.channel("press.bearing")!.stale).toBe(false);
  });

  it("is not fatal when the device is missing at start, and picks it up when it appears", async () => {
    const pair = new PtyPair();
    const rec = recordingHub();
    serialSource(pair.device, rec).start();
    await waitFor("down with a clear reason", () => rec.source("board")?.status.state === "down");
    expect(rec.source("board")!.status.detail).toMatch(/not found: is the board plugged in\?/);

    await pair.start();
    cleanups.push(() => pair.unplug());
    await waitFor("up once the device exists", () => rec.source("board")?.status.state === "up", 15_000);
    await appendFile(pair.board, "t=30\n");
    await waitFor("reading", () => rec.values("press.bearing").includes(30));
  });
});
