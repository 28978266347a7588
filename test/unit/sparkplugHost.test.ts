import { describe, expect, it } from "vitest";
import { decodePayload, encodePayload, parseTopic, type Metric, type Payload } from "../../common/sparkplug.js";
import { channelId } from "../../sensors/sparkplug/channels.js";
import { HostState, type HostAction } from "../../sensors/sparkplug/hostState.js";

const topic = (s: string) => parseTopic(s)!;
const pl = (seq: number | undefined, metrics: Metric[]): Payload => ({ timestamp: 1000, seq, metrics });
const nbirth = (bdSeq: number) => pl(0, [{ name: "bdSeq", type: "Int64", value: bdSeq }, { name: "Node Control/Rebirth", type: "Boolean", value: false }, { name: "Uptime", alias: 1, type: "Int32", value: 5 }]);
const dbirth = (seq: number) =>
  pl(seq, [
    { name: "Temperatures/Zone 1", alias: 10, type: "Double", value: 210.5, properties: { engUnit: { type: "String", value: "°C" } } },
    { name: "Recipe", alias: 11, type: "String", value: "PA6" },
    { name: "Running", alias: 12, type: "Boolean", value: true },
  ]);
const kinds = (a: HostAction[]) => a.map((x) => x.type);

function born() {
  const host = new HostState(5000);
  host.handle(topic("spBv1.0/Plant/NBIRTH/Line3"), nbirth(7), 0);
  host.handle(topic("spBv1.0/Plant/DBIRTH/Line3/Extruder"), dbirth(1), 0);
  return host;
}

describe("Sparkplug B host state", () => {
  it("reads topics and refuses what is not Sparkplug B", () => {
    expect(parseTopic("spBv1.0/G/DDATA/N/D")).toEqual({ group: "G", type: "DDATA", node: "N", device: "D" });
    expect(parseTopic("spBv1.0/G/NDATA/N")).toEqual({ group: "G", type: "NDATA", node: "N", device: undefined });
    for (const bad of ["spBv1.0/STATE/host", "spBv1.0/G/DDATA/N", "spBv1.0/G/NDATA/N/D", "spAv1.0/G/NDATA/N", "spBv1.0/G/XDATA/N"]) expect(parseTopic(bad)).toBeUndefined();
  });

  it("defines numeric metrics (booleans as 0/1) from births, with units, and their values", () => {
    const host = new HostState();
    const n = host.handle(topic("spBv1.0/Plant/NBIRTH/Line3"), nbirth(7), 0);
    expect(n).toEqual([
      { type: "define", ref: { group: "Plant", node: "Line3", device: undefined, metric: "Uptime" }, unit: undefined },
      { type: "value", ref: { group: "Plant", node: "Line3", device: undefined, metric: "Uptime" }, value: 5, ts: 1000 },
    ]);
    const d = host.handle(topic("spBv1.0/Plant/DBIRTH/Line3/Extruder"), dbirth(1), 0);
    expect(d.filter((a) => a.type === "define").map((a) => a.type === "define" && [a.ref.metric, a.unit])).toEqual([["Temperatures/Zone 1", "°C"], ["Running", undefined]]);
    expect(d.filter((a) => a.type === "value").map((a) => a.type === "value" && a.value)).toEqual([210.5, 1]);
  });

  it("maps alias-only data through the birth's aliases, and skips metrics that are not numbers", () => {
    const host = born();
    const a = host.handle(topic("spBv1.0/Plant/DDATA/Line3/Extruder"), pl(2, [{ alias: 10, type: "Double", value: 211, timestamp: 2000 }, { alias: 11, type: "String", value: "PA66" }]), 1);
    expect(a).toEqual([{ type: "value", ref: { group: "Plant", node: "Line3", device: "Extruder", metric: "Temperatures/Zone 1" }, value: 211, ts: 2000 }]);
  });

  it("asks for a rebirth on a sequence gap, an unknown alias or data before any birth, at most once per interval", () => {
    const host = born();
    expect(host.handle(topic("spBv1.0/Plant/DDATA/Line3/Extruder"), pl(5, [{ alias: 10, type: "Double", value: 1 }]), 100)).toEqual([
      { type: "rebirth", group: "Plant", node: "Line3", reason: "sequence gap: expected 2, got 5" },
      expect.objectContaining({ type: "value", value: 1 }),
    ]);
    expect(kinds(host.handle(topic("spBv1.0/Plant/DDATA/Line3/Extruder"), pl(6, [{ alias: 99, type: "Double", value: 1 }]), 200))).toEqual([]);
    expect(host.handle(topic("spBv1.0/Plant/DDATA/Line3/Extruder"), pl(7, [{ alias: 99, type: "Double", value: 1 }]), 5200)).toEqual([{ type: "rebirth", group: "Plant", node: "Line3", reason: "unknown metric alias 99" }]);
    expect(new HostState().handle(topic("spBv1.0/Plant/NDATA/Other"), pl(3, []), 0)).toEqual([{ type: "rebirth", group: "Plant", node: "Other", reason: "NDATA before the node's birth" }]);
  });

  it("follows the sequence through 255 back to 0", () => {
    const host = born();
    let actions: HostAction[] = [];
    for (let i = 2; i < 600; i++) actions = actions.concat(host.handle(topic("spBv1.0/Plant/DDATA/Line3/Extruder"), pl(i % 256, [{ alias: 10, type: "Double", value: i }]), i));
    expect(kinds(actions).filter((k) => k !== "value")).toEqual([]);
  });

  it("takes a node offline on its death certificate, unless the bdSeq is an earlier session's", () => {
    const host = born();
    expect(host.handle(topic("spBv1.0/Plant/NDEATH/Line3"), pl(undefined, [{ name: "bdSeq", type: "Int64", value: 6 }]), 1)).toEqual([]);
    const [off] = host.handle(topic("spBv1.0/Plant/NDEATH/Line3"), pl(undefined, [{ name: "bdSeq", type: "Int64", value: 7 }]), 1);
    expect(off.type === "offline" && off.refs.map((r) => r.metric)).toEqual(["Uptime", "Temperatures/Zone 1", "Running"]);
    // Dead: its data is not believed until it is born again.
    expect(kinds(host.handle(topic("spBv1.0/Plant/DDATA/Line3/Extruder"), pl(3, [{ alias: 10, type: "Double", value: 1 }]), 10_000))).toEqual(["rebirth"]);
  });

  it("takes one device offline on its DDEATH", () => {
    const host = born();
    const [off] = host.handle(topic("spBv1.0/Plant/DDEATH/Line3/Extruder"), pl(2, []), 1);
    expect(off.type === "offline" && off.refs.map((r) => r.metric)).toEqual(["Temperatures/Zone 1", "Running"]);
  });

  it("makes safe, bounded channel ids from any metric name", () => {
    expect(channelId("{node}.{device}.{metric}", { group: "G", node: "Line 3", device: "Extruder", metric: "Temperatures/Zone 1 (°C)" })).toBe("Line_3.Extruder.Temperatures_Zone_1_C");
    expect(channelId("{node}.{device}.{metric}", { group: "G", node: "N", metric: "Uptime" })).toBe("N.Uptime");
    const long = channelId("{metric}", { group: "G", node: "N", metric: "x".repeat(300) });
    expect(long).toHaveLength(128);
    expect(long).toMatch(/^x+~[0-9a-f]{8}$/);
  });

  it("round-trips payloads through the Tahu codec with 64-bit numbers as numbers", () => {
    const p = decodePayload(encodePayload({ timestamp: 1_796_000_000_123, seq: 255, metrics: [{ name: "bdSeq", type: "Int64", value: 200 }, { name: "t", alias: 4, type: "Double", value: -12.5 }] }));
    expect(p).toMatchObject({ timestamp: 1_796_000_000_123, seq: 255, metrics: [{ name: "bdSeq", value: 200 }, { name: "t", alias: 4, value: -12.5 }] });
    expect(() => decodePayload(Buffer.from("not protobuf at all"))).toThrow();
  });
});
