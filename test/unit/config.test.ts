import { describe, expect, it } from "vitest";
import { ConfigError, defaultConfig, parseConfig } from "../../gateway/config/load.js";

function problems(yaml: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(yaml, "test.yaml", env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

const serial = (extra: string) => `
sources:
  - id: sim
    type: simulated
  - id: board
    type: serial
    path: /dev/ttyUSB0
    format: { type: csv }
    fields: { t1: { channel: spindle.bearing } }
${extra}`;

describe("configuration", () => {
  it("defaults to the simulated machine with safe defaults", () => {
    const c = defaultConfig();
    expect(c.sources).toEqual([{ id: "sim", type: "simulated", rateHz: 5, scenario: "normal", seed: 1, thermalFps: 8, microphone: true }]);
    expect(c.http.port).toBe(8080);
    expect(c.webrtc.iceServers).toEqual([]);
  });

  it("takes the plant's time zone, by default the gateway's, and names a bad one", () => {
    expect(defaultConfig().timeZone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
    expect(parseConfig("timeZone: Europe/Amsterdam\n", "t.yaml", {}).timeZone).toBe("Europe/Amsterdam");
    expect(problems("timeZone: Mars/Olympus\n")).toEqual(['timeZone: expected an IANA time zone such as "Europe/Berlin"']);
  });

  it("takes the plant broker with its defaults, and one id per machine", () => {
    expect(parseConfig("plant:\n  broker: { url: mqtt://broker.plant.local:1883 }\n", "t.yaml", {}).plant.broker).toEqual({
      url: "mqtt://broker.plant.local:1883",
      prefix: "wachter/plant",
      interval: 10_000,
      announce: true,
      view: true,
      machines: {},
    });
    const sso = "  sso: { audience: mill-3, trustedKeys: [plant.pub] }\n";
    expect(problems(`plant:\n${sso}  broker: { url: mqtt://b:1883, id: mill-4 }\n`)).toEqual(["plant.broker.id: the plant knows a machine by one id: leave plant.broker.id out, or make it plant.sso.audience"]);
    expect(problems(`plant:\n${sso}  broker: { url: mqtt://b:1883, id: mill-3 }\n`)).toEqual([]);
    expect(problems("plant:\n  broker: { url: mqtt://b:1883, dashboardUrl: http://mill3:8080, interval: 100ms, keyValues: [a, b, c, d, e, f, g, h, i] }\n")).toEqual([
      'plant.broker.dashboardUrl: expected the dashboard\'s URL ending in /, e.g. http://mill3.plant.local:8080/, got "http://mill3:8080"',
      'plant.broker.keyValues: expected at most 8 channel ids, got ["a","b","c","d","e","f","g","h","i"]',
      "plant.broker.interval: expected 1s to 5m",
    ]);
    // A plant screen acts on pinned machines with plant tokens: it must issue them.
    expect(problems(`plant:\n${sso}  broker: { url: mqtt://b:1883, machines: { mill-5: "http://mill5:8080/" } }\n`)).toEqual([
      "plant.broker.machines: the plant view acts on plant.broker.machines with plant tokens: configure plant.sso.issuer too",
    ]);
    expect(problems('plant:\n  broker: { url: mqtt://b:1883, machines: { "mill 5": "http://mill5:8080/", mill-6: "ftp://mill6/" } }\n').map((p) => p.split(":")[0])).toEqual([
      "plant.broker.machines.mill 5",
      "plant.broker.machines.mill-6",
    ]);
  });

  it("names the key, what is expected and what was given", () => {
    expect(problems(serial("    baudRate: fast"))).toEqual(['sources[1].baudRate: expected one of 9600…921600, got "fast"']);
    expect(problems(serial("    baudRate: 1234"))).toEqual(["sources[1].baudRate: expected one of 9600…921600, got 1234"]);
  });

  it("lists every problem, and suggests the key that was meant", () => {
    const p = problems(`
http: { prot: 80 }
sources:
  - { id: a, type: profibus }
  - { id: b, type: simulated, rateHz: 0 }
`);
    expect(p).toContain('http.prot: unknown key (did you mean "port"?)');
    expect(p.some((x) => x.startsWith('sources[0].type: expected one of "serial", "mqtt"') && x.endsWith('got "profibus"'))).toBe(true);
    expect(p.some((x) => x.startsWith("sources[1].rateHz:") && x.includes("0.1"))).toBe(true);
  });

  it("lists the types a nested choice accepts, not the source types", () => {
    expect(problems(serial("").replace("format: { type: csv }", "format: { type: xml }"))).toEqual(['sources[1].format.type: expected one of "json", "kv", "csv", got "xml"']);
  });

  it("checks across sources once each source is valid", () => {
    expect(problems("sources: [{ id: b, type: simulated }, { id: b, type: simulated }]")).toEqual(['sources[1].id: duplicate source id "b" (also sources[0].id)']);
  });

  it("reads durations in ms, s, m, h and d, and names a bad one", () => {
    const c = parseConfig("history: { aggregateRetention: 90d, flushInterval: 2500ms, rawRetention: 36h }", "t.yaml", {});
    expect([c.history.aggregateRetention, c.history.flushInterval, c.history.rawRetention]).toEqual([90 * 86_400_000, 2500, 36 * 3_600_000]);
    expect(problems("history: { flushInterval: soon }")).toEqual(['history.flushInterval: expected a duration such as "500ms", "10s", "5m", "1h" or "90d", got "soon"']);
  });

  it("checks the memory guard's limits: a heap share of 10…95 %, an RSS budget of at least 64 MB", () => {
    expect(defaultConfig().webrtc.maxHeapPercent).toBe(80);
    expect(defaultConfig().webrtc.maxRssMb).toBeUndefined();
    expect(problems("webrtc: { maxHeapPercent: 99, maxRssMb: 400 }")).toEqual(["webrtc.maxHeapPercent: expected a percentage 10…95, got 99"]);
    expect(problems("webrtc: { maxRssMb: 32 }")).toEqual(["webrtc.maxRssMb: expected at least 64 (MB), got 32"]);
  });

  it("reports YAML syntax errors with their position", () => {
    expect(problems("sources: [\n  - id: x\n")[0]).toMatch(/^YAML syntax at line \d+, column \d+/);
  });

  it("takes secrets from the environment and says which variable is missing", () => {
    const yaml = `
sources:
  - id: m
    type: mqtt
    url: mqtt://127.0.0.1:1883
    password: \${MQTT_PASSWORD}
    topics: [{ filter: "a/+", channel: "a.{1}" }]`;
    expect(problems(yaml)).toEqual(["sources[0].password: environment variable MQTT_PASSWORD is not set"]);
    const c = parseConfig(yaml, "t.yaml", { MQTT_PASSWORD: "s3cret" });
    expect(c.sources[0].type === "mqtt" && c.sources[0].password).toBe("s3cret");
  });

  it("checks MQTT templates against the filter's wildcards", () => {
    const p = problems(`
sources:
  - id: m
    type: mqtt
    url: mqtt://h
    topics: [{ filter: "a/+/b", channel: "x.{2}" }]`);
    expect(p).toEqual(["sources[0].topics[0].channel: {2} refers to a wildcard the filter does not have (it has 1)"]);
  });

  it("refuses the same channel fed by two serial fields", () => {
    const p = problems(`
sources:
  - { id: a, type: serial, path: /dev/ttyA, format: { type: kv }, fields: { t: { channel: x } } }
  - { id: b, type: serial, path: /dev/ttyB, format: { type: kv }, fields: { t: { channel: x } } }`);
    expect(p).toEqual(['sources[1].fields.t.channel: channel "x" is already fed by sources[0].fields.t']);
  });
});
