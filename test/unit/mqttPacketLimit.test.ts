import { generate } from "mqtt-packet";
import { describe, expect, it } from "vitest";
import { PacketSizeWatch, refusesMqtt5 } from "../../common/mqttPacketLimit.js";
import { variableByteInteger as varint } from "../helpers/mqtt311Broker.js";

const publish = (payloadBytes: number) => generate({ cmd: "publish", topic: "plant/a/t", payload: Buffer.alloc(payloadBytes), qos: 0, dup: false, retain: false });

/** Feeds bytes in pieces of `size` and returns the first reason to cut, if any. */
function feed(watch: PacketSizeWatch, bytes: Buffer, size: number): string | undefined {
  for (let i = 0; i < bytes.length; i += size) {
    const reason = watch.check(bytes.subarray(i, i + size));
    if (reason) return reason;
  }
  return undefined;
}

describe("PacketSizeWatch", () => {
  it("passes packets up to the limit, however the stream is chunked", () => {
    const packets = Buffer.concat([publish(10), publish(300), generate({ cmd: "pingresp" }), publish(1000), publish(0)]);
    const limit = publish(1000).length;
    for (const size of [1, 2, 3, 7, 64, packets.length]) expect(feed(new PacketSizeWatch(limit), packets, size)).toBeUndefined();
  });

  it("cuts at the first packet one byte over the limit, from its header alone", () => {
    const small = publish(100);
    const over = publish(200);
    const watch = new PacketSizeWatch(over.length - 1);
    expect(watch.check(small)).toBeUndefined();
    // Only the type byte and the remaining length of the oversized packet arrive.
    expect(watch.check(over.subarray(0, 1))).toBeUndefined();
    expect(watch.check(over.subarray(1, 3))).toBe(`packet of ${over.length} bytes exceeds the limit of ${over.length - 1}`);
  });

  it("reads a four-byte remaining length split across chunks (a 50 MB packet)", () => {
    const header = Buffer.from([0x30, ...varint(50_000_000)]);
    expect(header.length).toBe(5);
    const watch = new PacketSizeWatch(1 << 20);
    expect(watch.check(header.subarray(0, 2))).toBeUndefined();
    expect(watch.check(header.subarray(2))).toBe("packet of 50000005 bytes exceeds the limit of 1048576");
  });

  it("cuts a remaining length longer than four bytes", () => {
    expect(new PacketSizeWatch(1 << 20).check(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01]))).toBe("malformed packet length");
  });
});

describe("refusesMqtt5", () => {
  it("recognises the two ways a broker refuses protocol version 5", () => {
    const err = (code: number) => Object.assign(new Error("Connection refused"), { code });
    expect(refusesMqtt5(err(1))).toBe(true); // MQTT 3.1.1 CONNACK: unacceptable protocol version
    expect(refusesMqtt5(err(0x84))).toBe(true); // MQTT 5 CONNACK: unsupported protocol version
    for (const other of [0, 4, 5, 0x86, 0x87, 0x95]) expect(refusesMqtt5(err(other))).toBe(false);
    expect(refusesMqtt5(new Error("connect ECONNREFUSED 127.0.0.1:1883"))).toBe(false);
  });
});
