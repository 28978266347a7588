import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { OneWireSource } from "../../sensors/onewire/oneWireSource.js";
import { oneWireDevices } from "../../sensors/onewire/probe.js";
import { oneWireSchema } from "../../sensors/onewire/schema.js";
import { waitFor } from "../helpers/ports.js";
import { Proc } from "../helpers/processes.js";
import { quietLog, recordingHub } from "../helpers/sinkRecorder.js";
import { CAPTURED, ds18b20, W1Tree } from "../helpers/w1Fixtures.js";

const A = "28-00000abcdef1";
const B = "28-00000abcdef2";
const S = "10-000802b4c1d5";
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function run(config: Record<string, unknown>, tree?: W1Tree) {
  const rec = recordingHub();
  const options = oneWireSchema.parse({ id: "w1", type: "onewire", interval: "200ms", staleAfter: "700ms", ...config });
  const source = new OneWireSource(options, rec.hub.sinkFor("w1"), quietLog);
  source.start();
  // Cleanups run last first: the source stops (finishing its read) before its tree goes.
  if (tree) cleanups.push(() => tree.destroy());
  cleanups.push(() => rec.hub.stop(), () => source.stop());
  return { rec, detail: () => rec.source("w1")?.status.detail ?? "", state: () => rec.source("w1")?.status.state };
}

describe("1-Wire source on a sysfs-shaped fixture tree", () => {
  it("discovers sensors, converts them in bulk, rejects bad reads, and follows a sensor that disappears and returns", async () => {
    const tree = new W1Tree();
    tree.sensor(A, CAPTURED.good);
    tree.sensor(B, ds18b20(41.5));
    tree.sensor(S, "22625\n", "temperature");
    tree.sensor("01-00000abcdef9", "not a thermometer"); // a DS2401 serial number chip: ignored
    const { rec, detail, state } = run({ basePath: tree.base }, tree);

    await waitFor("three channels with readings", () => [A, B, S].every((id) => rec.values(`w1.${id}`).length > 0));
    expect(rec.values(`w1.${A}`)[0]).toBe(23.125);
    expect(rec.values(`w1.${B}`)[0]).toBe(41.5);
    expect(rec.values(`w1.${S}`)[0]).toBe(22.625);
    expect(rec.channel(`w1.${A}`)!.info).toMatchObject({ name: `DS18B20 ${A}`, unit: "°C", staleAfterMs: 700 });
    expect(rec.channel(`w1.${S}`)!.info.name).toBe(`DS18S20 ${S}`);
    expect(rec.hub.channelStates().map((c) => c.info.id)).not.toContain("w1.01-00000abcdef9");
    expect(readFileSync(tree.bulkFile, "utf8")).toBe("trigger\n");
    expect(state()).toBe("up");
    expect(detail()).toBe("3 sensor(s), one bulk conversion");

    // Each bad read is counted once per poll; the other sensors go on.
    for (const bad of [CAPTURED.crcNo, CAPTURED.powerOn, CAPTURED.allZero, "", "\x00\xffgarbage\n"]) {
      const before = rec.source("w1")!.rejects;
      const goodBefore = rec.values(`w1.${B}`).length;
      tree.sensor(A, bad);
      await waitFor("the bad read rejected", () => rec.source("w1")!.rejects > before);
      await waitFor("other sensors still read", () => rec.values(`w1.${B}`).length > goodBefore + 1);
    }
    expect(rec.source("w1")!.lastReject).toMatch(new RegExp(`^${A}: not the two lines`));
    expect(detail()).toMatch(new RegExp(`failing: ${A} \\(not the two lines`));
    await waitFor("the failing sensor's channel stale", () => rec.channel(`w1.${A}`)!.stale);
    expect(new Set(rec.values(`w1.${A}`))).toEqual(new Set([23.125]));

    tree.sensor(A, ds18b20(24));
    await waitFor("good again", () => rec.values(`w1.${A}`).includes(24));
    await waitFor("no longer failing", () => detail() === "3 sensor(s), one bulk conversion");

    // Unplugged: the kernel removes the sensor's directory.
    tree.remove(B);
    await waitFor("missing sensor named", () => detail().includes(`missing: ${B}`));
    await waitFor("its channel stale", () => rec.channel(`w1.${B}`)!.stale);
    expect(state()).toBe("up");
    tree.sensor(B, ds18b20(42));
    await waitFor("it comes back by itself", () => rec.values(`w1.${B}`).includes(42));
    await waitFor("fresh again", () => !rec.channel(`w1.${B}`)!.stale && !detail().includes("missing"));
  });

  it("reads only listed sensors, with their channel, name, offset, decimals and group; converts one by one where bulk conversion is refused", async () => {
    const tree = new W1Tree(false);
    mkdirSync(tree.bulkFile); // not writable as a file: the write fails as it does for a non-root user
    tree.sensor(A, CAPTURED.good);
    tree.sensor(B, ds18b20(30));
    const { rec, detail } = run(
      {
        basePath: tree.base,
        sensors: {
          [A]: { channel: "press.bearing", name: "Main bearing", offset: -0.3, decimals: 2, group: "Press" },
          "28-0000deadbeef": { name: "Coolant" },
        },
      },
      tree,
    );
    await waitFor("the listed sensor read", () => rec.values("press.bearing").length > 0);
    expect(rec.values("press.bearing")[0]).toBe(22.825);
    expect(rec.channel("press.bearing")!.info).toMatchObject({ name: "Main bearing", decimals: 2, group: "Press" });
    expect(rec.channel("w1.28-0000deadbeef")!.info.name).toBe("Coolant");
    expect(rec.channel(`w1.${B}`)).toBeUndefined();
    await waitFor("status", () => detail() === "1 sensor(s); missing: 28-0000deadbeef; 1 more on the bus, not configured");
    // With two listed sensors present, the refused bulk conversion shows in the status.
    tree.sensor("28-0000deadbeef", ds18b20(12.5));
    await waitFor("both read", () => rec.values("w1.28-0000deadbeef").includes(12.5));
    await waitFor("status", () => detail() === "2 sensor(s), converted one by one (therm_bulk_read refused: EISDIR); 1 more on the bus, not configured");
  });

  it("explains the dtoverlay line while there is no bus, and starts by itself when it appears", async () => {
    const tree = new W1Tree();
    rmSync(tree.base, { recursive: true });
    const { rec, detail, state } = run({ basePath: tree.base }, tree);
    await waitFor("down with the reason", () => state() === "down");
    expect(detail()).toMatch(/dtoverlay=w1-gpio .*gpiopin=N.*4\.7 kΩ pull-up/);
    mkdirSync(tree.base);
    await waitFor("no sensors yet", () => detail().startsWith("no 1-Wire temperature sensors"));
    tree.sensor(A, CAPTURED.good);
    await waitFor("the sensor read", () => rec.values(`w1.${A}`).length > 0, 5000);
    expect(state()).toBe("up");
  });

  it("keeps the event loop free while the kernel converts (a read that takes 750 ms)", async () => {
    const tree = new W1Tree(false);
    mkdirSync(join(tree.base, A));
    const fifo = join(tree.base, A, "w1_slave");
    execFileSync("mkfifo", [fifo]);
    const reading = join(tree.base, "..", "reading");
    writeFileSync(reading, ds18b20(19.5));
    // The writer answers 750 ms after the reader opened, as the kernel does after a conversion, then
    // pauses so that the reader sees the end of the file before the next writer opens the FIFO.
    const sensor = new Proc("sh", ["-c", `while :; do { sleep 0.75; cat '${reading}'; } > '${fifo}'; sleep 0.05; done`]);
    cleanups.push(() => void sensor.stop("SIGKILL"));
    const { rec } = run({ basePath: tree.base, interval: "100ms" }, tree);

    let worstLag = 0;
    let last = performance.now();
    const tick = setInterval(() => {
      const now = performance.now();
      worstLag = Math.max(worstLag, now - last - 10);
      last = now;
    }, 10);
    cleanups.push(() => clearInterval(tick));
    const t0 = performance.now();
    await waitFor("two slow readings", () => rec.values(`w1.${A}`).length >= 2, 5000, 10);
    const perRead = (performance.now() - t0) / 2;
    expect(rec.values(`w1.${A}`)[0]).toBe(19.5);
    expect(perRead).toBeGreaterThan(700);
    // A read that blocked would stall the loop for its whole 750 ms; a loaded CI machine adds a few hundred.
    expect(worstLag).toBeLessThan(500);
    console.log(`slow 1-Wire read: ${perRead.toFixed(0)} ms per reading, worst event-loop lag ${worstLag.toFixed(1)} ms`);
  });
});

describe("doctor's 1-Wire listing", () => {
  it("lists sensors with a reading, or explains how to enable the bus", async () => {
    const tree = new W1Tree();
    cleanups.push(() => tree.destroy());
    tree.sensor(A, CAPTURED.good);
    tree.sensor(B, CAPTURED.crcNo);
    const found = await oneWireDevices(tree.base);
    expect(found.map((f) => [f.mark, f.text])).toEqual([
      ["ok", `${A} (DS18B20, channel w1.${A}): 23.125 °C`],
      ["warn", `${B} (DS18B20, channel w1.${B}): the kernel's CRC check failed (crc=… NO): noise on the bus`],
    ]);
    const none = await oneWireDevices(join(tree.base, "nowhere"));
    expect(none).toHaveLength(1);
    expect(none[0].text).toMatch(/dtoverlay=w1-gpio/);
  });
});
