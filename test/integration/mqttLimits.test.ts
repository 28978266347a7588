import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_TOKEN, GatewayProcess } from "../helpers/gateway.js";
import { Mosquitto } from "../helpers/mosquitto.js";
import { Mqtt311Broker } from "../helpers/mqtt311Broker.js";
import { freePort, waitFor } from "../helpers/ports.js";
import { processIo } from "../helpers/processes.js";

interface SourceMsg {
  id: string;
  state: string;
  detail: string;
  readings: number;
  rejects: number;
}

const MB = 1 << 20;

/** A gateway whose only source subscribes to plant/+/t on the broker, with a 1 KiB payload limit. */
async function gatewayOn(url: string) {
  const port = await freePort();
  const gw = new GatewayProcess({
    http: { host: "127.0.0.1", port },
    sources: [{ id: "plant", type: "mqtt", url, maxPayloadBytes: 1024, topics: [{ filter: "plant/+/t", channel: "plant.{1}" }] }],
  });
  const api = async <T>(path: string) => (await (await fetch(`http://127.0.0.1:${port}${path}`, { headers: { authorization: `Bearer ${API_TOKEN}` } })).json()) as T;
  const source = async () => (await api<SourceMsg[]>("/api/sources")).find((s) => s.id === "plant")!;
  const last = async (channel: string) => (await api<Array<{ id: string; last: [number, number, number] | null }>>("/api/channels")).find((c) => c.id === channel)?.last?.[1];
  await gw.start();
  return { gw, source, last, io: () => processIo(gw.proc!.child.pid!) };
}

describe("MQTT input size limits", () => {
  describe("against Mosquitto (MQTT 5, Maximum Packet Size)", () => {
    const broker = new Mosquitto();
    let gateway: Awaited<ReturnType<typeof gatewayOn>>;
    beforeAll(async () => {
      await broker.start();
      gateway = await gatewayOn(broker.url);
    });
    afterAll(async () => {
      await gateway?.gw.stop();
      await broker.stop();
    });

    it("never receives a packet over the limit, keeps its memory and keeps receiving", async () => {
      const { source, last, io } = gateway;
      await waitFor("source up", async () => (await source()).state === "up", 15_000);
      expect((await source()).detail).not.toContain("3.1.1");
      const publisher = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
      try {
        await publisher.publishAsync("plant/a/t", "20.5");
        await waitFor("a normal reading", async () => (await last("plant.a")) === 20.5);
        const before = io();

        // Over maxPayloadBytes but within the packet limit: received and rejected after receipt.
        await publisher.publishAsync("plant/a/t", "1".repeat(1025));
        // Over the packet limit (payload limit + 4 KiB room): the broker must not send them at all.
        await publisher.publishAsync("plant/a/t", "1".repeat(1024 + 4096 + 1));
        await publisher.publishAsync("plant/a/t", Buffer.alloc(60 * MB, 0x31));
        await publisher.publishAsync("plant/a/t", "21.5");
        await waitFor("the reading after the oversized ones", async () => (await last("plant.a")) === 21.5, 20_000);

        const after = io();
        expect(after.readBytes - before.readBytes).toBeLessThan(MB);
        expect(after.peakRssBytes - before.peakRssBytes).toBeLessThan(20 * MB);
        const s = await source();
        expect(s.state).toBe("up");
        expect(s.rejects).toBe(1);
        expect(s.readings).toBe(2);
      } finally {
        await publisher.endAsync(true);
      }
    });
  });

  describe("against a broker that speaks only MQTT 3.1.1", () => {
    const broker = new Mqtt311Broker();
    let gateway: Awaited<ReturnType<typeof gatewayOn>>;
    beforeAll(async () => {
      await broker.start();
      gateway = await gatewayOn(broker.url);
    });
    afterAll(async () => {
      await gateway?.gw.stop();
      await broker.stop();
    });

    it("falls back to 3.1.1, says so, and cuts an oversized packet off before buffering it", async () => {
      const { gw, source, last, io } = gateway;
      await waitFor("source up", async () => (await source()).state === "up", 15_000);
      expect(broker.connects).toEqual([5, 4]);
      expect((await source()).detail).toContain("MQTT 3.1.1: the broker cannot be told the size limit");
      expect(gw.logs().some((l) => l.msg.startsWith("broker refused MQTT 5, using 3.1.1"))).toBe(true);
      await waitFor("subscribed", () => broker.subscribed);
      broker.publish("plant/a/t", "20.5");
      await waitFor("a normal reading", async () => (await last("plant.a")) === 20.5);
      const before = io();

      const sent = await broker.publishHuge("plant/a/t", 200 * MB);
      expect(sent).toBeLessThan(200 * MB);
      await waitFor("cut off and reconnected", async () => broker.connects.length === 3 && broker.subscribed && (await source()).state === "up", 15_000);
      expect(broker.connects).toEqual([5, 4, 4]);
      const after = io();
      expect(after.readBytes - before.readBytes).toBeLessThan(MB);
      expect(after.peakRssBytes - before.peakRssBytes).toBeLessThan(20 * MB);
      const s = await source();
      expect(s.rejects).toBe(1);
      expect(gw.logs().find((l) => l.msg === "rejected input")?.reason).toBe("connection cut: packet of 209715216 bytes exceeds the limit of 5120");

      broker.publish("plant/a/t", "21.5");
      await waitFor("a normal reading after the cut", async () => (await last("plant.a")) === 21.5);
    });
  });

  describe("over WebSocket", () => {
    const broker = new Mosquitto();
    let gw: GatewayProcess;
    beforeAll(async () => {
      broker.wsPort = await freePort();
      await broker.start();
      gw = new GatewayProcess({
        http: { host: "127.0.0.1", port: await freePort() },
        sources: [{ id: "sim", type: "simulated", thermalFps: 0, microphone: false }],
        uplink: { mqtt: { url: `ws://127.0.0.1:${broker.wsPort}`, prefix: "plant/press7" } },
      });
      await gw.start();
    });
    afterAll(async () => {
      await gw?.stop();
      await broker.stop();
    });

    it("cuts the uplink (MQTT 3.1.1) off on an oversized packet, and on a huge WebSocket message from its frame header; logs the cuts rate-limited", async () => {
      const cuts = () => gw.logs().filter((l) => l.msg === "uplink MQTT connection cut: the broker sent a packet over the limit");
      const publisher = await mqtt.connectAsync(broker.url);
      try {
        let onlines = 0;
        publisher.on("message", (topic, payload) => topic === "plant/press7/status" && payload.toString() === "online" && onlines++);
        await publisher.subscribeAsync("plant/press7/status");
        await waitFor("the uplink online", () => onlines > 0);
        const online = (count = onlines) => waitFor("the uplink online again", () => onlines > count, 10_000);

        // Within ws's bound: the MQTT packet's header tells. The second cut within 10 s is not logged.
        for (let i = 0; i < 2; i++) {
          const back = online();
          await publisher.publishAsync("homeassistant/status", Buffer.alloc(200_000, 0x41));
          await back;
        }
        expect(cuts().map((l) => l.reason)).toEqual(["packet of 200026 bytes exceeds the limit of 65536"]);
        await new Promise((resolve) => setTimeout(resolve, cuts()[0].time as number + 10_000 - Date.now()));

        const before = processIo(gw.proc!.child.pid!);
        const back = online();
        await publisher.publishAsync("homeassistant/status", Buffer.alloc(20 * MB, 0x41));
        await waitFor("the message cut", () => cuts().length === 2, 10_000);
        expect(cuts()[1]).toMatchObject({ reason: "WebSocket message exceeds the limit of 1114112 bytes", suppressedSinceLastLog: 1 });
        await back;
        expect(processIo(gw.proc!.child.pid!).readBytes - before.readBytes).toBeLessThan(2 * MB);
      } finally {
        await publisher.endAsync(true);
      }
    });
  });
});
