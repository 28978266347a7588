// A Sparkplug B edge node made with Eclipse Tahu's own client (npm sparkplug-client), as an
// independent peer for wachter's host application. Usage: node tahuEdgeNode.cjs URL GROUP NODE DEVICE
// It births one device with two temperatures and a string, then sends alias-only DDATA every
// 100 ms, and births again when asked (NCMD Node Control/Rebirth). It prints "birth" each time.
const sparkplug = require("sparkplug-client");

const [url, groupId, edgeNode, device] = process.argv.slice(2);
const client = sparkplug.newClient({ serverUrl: url, username: "", password: "", groupId, edgeNode, clientId: `tahu-${edgeNode}-${process.pid}`, version: "spBv1.0" });
let t = 0;
const now = () => Date.now();

function births() {
  client.publishNodeBirth({ timestamp: now(), metrics: [{ name: "Node Control/Rebirth", type: "Boolean", value: false }, { name: "Uptime", alias: 1, type: "Int64", value: t }] });
  client.publishDeviceBirth(device, {
    timestamp: now(),
    metrics: [
      { name: "Temperatures/Barrel Zone 1", alias: 10, type: "Double", value: 200 + t, properties: { engUnit: { type: "String", value: "°C" } } },
      { name: "Temperatures/Barrel Zone 2", alias: 11, type: "Float", value: 180, properties: { engUnit: { type: "String", value: "°C" } } },
      { name: "Recipe", alias: 12, type: "String", value: "PA6" },
    ],
  });
  process.stdout.write("birth\n");
}

client.on("birth", births);
client.on("ncmd", (payload) => {
  if ((payload.metrics || []).some((m) => m.name === "Node Control/Rebirth" && m.value === true)) births();
});
setInterval(() => {
  t += 1;
  client.publishDeviceData(device, { timestamp: now(), metrics: [{ alias: 10, type: "Double", value: 200 + t / 10 }] });
}, 100);
