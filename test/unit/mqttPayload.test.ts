import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodePayload } from "../../sensors/mqtt/payload.js";
import { fillTemplate, isValidFilter, matchTopic } from "../../sensors/mqtt/topics.js";

describe("MQTT topics", () => {
  it("matches + and # and captures what they matched", () => {
    expect(matchTopic("plant/+/temp", "plant/press3/temp")).toEqual(["press3"]);
    expect(matchTopic("plant/#", "plant/a/b")).toEqual(["a.b"]);
    expect(matchTopic("plant/+/temp", "plant/press3/temp/x")).toBeUndefined();
    expect(matchTopic("+/x", "$SYS/x")).toBeUndefined();
    expect(fillTemplate("line.{1}.t", ["press3"])).toBe("line.press3.t");
  });

  it("validates filters", () => {
    expect(isValidFilter("a/+/b/#")).toBe(true);
    expect(isValidFilter("a/#/b")).toBe(false);
    expect(isValidFilter("a/b+")).toBe(false);
  });
});

describe("MQTT payloads", () => {
  it("decodes plain numbers strictly", () => {
    expect(decodePayload({ type: "number" }, Buffer.from(" 21.5\n"))).toEqual({ ok: true, value: 21.5 });
    expect(decodePayload({ type: "number" }, Buffer.from("0x10")).ok).toBe(false);
    expect(decodePayload({ type: "number" }, Buffer.from("Infinity")).ok).toBe(false);
  });

  it("decodes JSON with value and timestamp paths", () => {
    const fmt = { type: "json", value: "t.v", timestamp: "ts" } as const;
    expect(decodePayload(fmt, Buffer.from('{"t":{"v":20.5},"ts":1700000000}'))).toEqual({ ok: true, value: 20.5, ts: 1_700_000_000_000 });
    expect(decodePayload(fmt, Buffer.from('{"t":{"v":20.5},"ts":"2026-11-24T10:00:00Z"}'))).toEqual({ ok: true, value: 20.5, ts: Date.parse("2026-11-24T10:00:00Z") });
    expect(decodePayload(fmt, Buffer.from('{"t":{"v":"hot"},"ts":1}')).ok).toBe(false);
    expect(decodePayload(fmt, Buffer.from('{"t":{"v":1}}')).ok).toBe(false);
    expect(decodePayload({ type: "json", value: "__proto__" }, Buffer.from('{"a":1}')).ok).toBe(false);
  });

  it("never throws on arbitrary bytes and only yields finite values", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        for (const fmt of [{ type: "number" }, { type: "json", value: "a.b", timestamp: "t" }] as const) {
          const r = decodePayload(fmt, Buffer.from(bytes));
          if (r.ok) expect(Number.isFinite(r.value)).toBe(true);
        }
      }),
    );
  });
});
