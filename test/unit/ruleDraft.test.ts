import { describe, expect, it } from "vitest";
import { draftOf, quickDraft, ruleOf } from "../../dashboard/src/app/ruleDraft.js";
import type { RuleSpec } from "../../gateway/protocol/rules.js";

describe("the rule editor's form", () => {
  it("gives back every part of a rule it was filled from, labels and any/all included", () => {
    const rules: RuleSpec[] = [
      { id: "hot", name: "Hot", channels: ["spindle.bearing", "mic.*.level_db"], severity: "critical", when: { above: 80, clear: 75 }, for: "3s", clearFor: "10s", labels: { area: "spindle", line: "3" }, description: "at {{value}}" },
      { id: "cold", channels: ["coolant"], severity: "info", when: { below: 5 } },
      { id: "fast", channels: ["x"], severity: "warning", when: { rate: { below: 2, per: "5m" } } },
      { id: "silent", channels: ["*"], severity: "info", when: { noData: "30s" } },
      { id: "either", channels: ["x"], severity: "warning", when: { any: [{ above: 90 }, { rate: { above: 15, per: "1m" } }] } },
    ];
    for (const r of rules) expect(ruleOf(draftOf(r))).toEqual(r);
  });

  it("shows durations the gateway sends in milliseconds as it would write them", () => {
    const d = draftOf({ id: "a", channels: ["x"], when: { noData: 30_000 }, for: 10_000, clearFor: 1500 });
    expect([d.noData, d.forText, d.clearForText]).toEqual(["30s", "10s", "1500ms"]);
  });

  it("suggests a limit above what the channel has done lately, a clear level below it and 10 s", () => {
    const d = quickDraft("spindle.bearing", "Spindle bearing", [41.2, 44.9, 43.0], 1);
    expect(ruleOf(d)).toEqual({ id: "spindle-bearing-high", name: "Spindle bearing high", channels: ["spindle.bearing"], severity: "warning", when: { above: 49.4, clear: 47.9 }, for: "10s" });
    expect(ruleOf(quickDraft("coolant", "Coolant", [12, 9.5], 0, "below")).when).toEqual({ below: 9, clear: 10 });
  });
});
