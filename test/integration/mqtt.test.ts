import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MqttSource, mqttSourceSchema } from "../../sensors/index.js";
import { Mosquitto } from "../helpers/mosquitto.js";
import { waitFor } from "../helpers/ports.js";
import { quietLog, recordingHub } from "../helpers/sinkRecorder.js";

describe("MQTT source against a real Mosquitto", () => {
  const broker = new Mosquitto();
  beforeAll(() => broker.start());
  afterAll(() => broker.stop());

  it("maps topics to channels, rejects bad payloads, and resubscribes after a broker restart", async () => {
    const rec = recordingHub();
    const options = mqttSourceSchema.parse({
      id: "plant",
      type: "mqtt",
      url: broker.url,
      topics: [
        { filter: "plant/+/temperature", channel: "plant.{1}", name: "Temp {1}" },
        { filter: "plant/env", channel: "plant.ambient", payload: { type: "json", value: "t", timestamp: "ts" } },
      ],
      maxPayloadBytes: 1024,
    });
    const source = new MqttSource(options, rec.hub.sinkFor("plant"), quietLog);
    source.start();
    const publisher = await mqtt.connectAsync(broker.url, { reconnectPeriod: 200 });
    try {
      await waitFor("subscribed", () => rec.source("plant")?.status.state === "up");
      await publisher.publishAsync("plant/sealer/temperature", "182.5");
      const aMinuteAgo = Math.floor(Date.now() / 1000) - 60;
      await publisher.publishAsync("plant/env", JSON.stringify({ t: 23.1, ts: aMinuteAgo }));
      await waitFor("readings", () => rec.values("plant.sealer").length === 1 && rec.values("plant.ambient").length === 1);
      expect(rec.channel("plant.sealer")!.info.name).toBe("Temp sealer");
      expect(rec.hub.history("plant.ambient")).toEqual({ ts: [aMinuteAgo * 1000], values: [23.1] });
      // A garbled sensor clock (the year 128,724, in ms): the value is kept, at the time it arrived.
      const sent = Date.now();
      await publisher.publishAsync("plant/env", JSON.stringify({ t: 23.4, ts: Date.UTC(128_724, 0, 1) }));
      await waitFor("the re-timed reading", () => rec.values("plant.ambient").length === 2);
      const retimed = rec.hub.history("plant.ambient")!.ts[1];
      expect(retimed).toBeGreaterThanOrEqual(sent);
      expect(retimed).toBeLessThan(Date.now() + 1);

      for (const bad of ["hot", "", "12abc", "x".repeat(2000)]) await publisher.publishAsync("plant/sealer/temperature", bad);
      await publisher.publishAsync("plant/env", '{"t": "n/a"}');
      await publisher.publishAsync("plant/env", "{not json");
      await publisher.publishAsync("plant/sealer/temperature", "183");
      await waitFor("good reading after bad ones", () => rec.values("plant.sealer").includes(183));
      expect(rec.values("plant.sealer")).toEqual([182.5, 183]);
      expect(rec.source("plant")!.rejects).toBe(6);

      await broker.stop();
      await waitFor("source down", () => rec.source("plant")?.status.state === "down", 10_000);
      await broker.start();
      await waitFor("source up again", () => rec.source("plant")?.status.state === "up", 20_000);
      await waitFor("publisher reconnected", () => publisher.connected, 10_000);
      await publisher.publishAsync("plant/sealer/temperature", "184");
      await waitFor("reading after broker restart", () => rec.values("plant.sealer").includes(184), 5000);
    } finally {
      await publisher.endAsync(true);
      await source.stop();
      rec.hub.stop();
    }
  });
});
