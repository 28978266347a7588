import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfigFile, parseConfig } from "../../gateway/config/load.js";
import { SOURCE_KINDS, typeOf } from "../../sensors/index.js";

const ROOT = join(import.meta.dirname, "../..");
const readme = readFileSync(join(ROOT, "README.md"), "utf8");

describe("source kinds register in one place", () => {
  it("have distinct types", () => {
    const types = SOURCE_KINDS.map(typeOf);
    expect(new Set(types).size).toBe(types.length);
  });

  it.each(SOURCE_KINDS.map((k) => [typeOf(k), k] as const))("%s: has a commented example that is valid and uses it, and a README section", (type, kind) => {
    const config = loadConfigFile(join(ROOT, "deploy/examples", kind.example), { MQTT_PASSWORD: "x" });
    expect(config.sources.map((s) => s.type)).toContain(type);
    expect(readFileSync(join(ROOT, "deploy/examples", kind.example), "utf8")).toMatch(/^#/m);
    expect(readme).toContain(`**\`type: ${type}\`**`);
    expect(kind.summary.length).toBeGreaterThan(10);
  });

  it("are what the configuration accepts, and an unknown type lists them", () => {
    expect(() => parseConfig("sources: [{ id: a, type: profibus }]\n", "t.yaml", {})).toThrow(`expected one of ${SOURCE_KINDS.map((k) => `"${typeOf(k)}"`).join(", ")}, got "profibus"`);
  });
});
