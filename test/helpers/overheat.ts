/**
 * The gateway configuration the incident tests share: the simulated mill whose spindle bearing
 * passes 65 °C some 6 s after the start (the pre-rolls are full by then), the rule that fires on
 * it, and short incident windows. `incidents` adds to (or overrides) those windows.
 */
export function overheatingMill(incidents: object = {}) {
  return {
    sources: [{ id: "sim", type: "simulated", scenario: "overheat", rateHz: 10, thermalFps: 8, microphone: true }],
    alerts: { rules: [{ id: "hot", channels: ["spindle.bearing"], severity: "critical", when: { above: 65, clear: 60 } }] },
    incidents: { telemetry: { before: "20s", after: "3s" }, frames: { before: "3s", after: "2s" }, sound: { before: "2s", after: "2s" }, ...incidents },
  };
}
