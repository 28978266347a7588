import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CID } from "multiformats/cid";
import { afterEach, describe, expect, it } from "vitest";
import { AlertEngine } from "../../gateway/alerts/engine.js";
import { alertsSchema } from "../../gateway/alerts/schema.js";
import { SqliteAlertStore } from "../../gateway/alerts/sqliteStore.js";
import { HistoryStore } from "../../gateway/history/historyStore.js";
import { historySchema } from "../../gateway/history/schema.js";
import { Hub } from "../../gateway/hub/hub.js";
import { ContentStore } from "../../gateway/incidents/contentStore.js";
import { IncidentStore } from "../../gateway/incidents/incidentStore.js";
import { IncidentRecorder, type FinalisedIncident } from "../../gateway/incidents/recorder.js";
import { incidentsSchema } from "../../gateway/incidents/schema.js";
import { openDatabase } from "../../gateway/storage/db.js";
import { StorageHealth } from "../../gateway/storage/health.js";
import { quietLog } from "../helpers/sinkRecorder.js";
import { waitFor } from "../helpers/ports.js";
import { drawHere } from "../../gateway/incidents/pictures.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** The recorder with the real hub, alert engine, history and stores, and a camera fed 10 frames a second. */
async function running(incidents: object) {
  const dir = mkdtempSync(join(tmpdir(), "wachter-recorder-"));
  const db = openDatabase(join(dir, "w.db"));
  const health = new StorageHealth(quietLog);
  const hub = new Hub(quietLog);
  const history = new HistoryStore(db, historySchema.parse({}), quietLog, health);
  const alertStore = new SqliteAlertStore(db, health);
  const alerts = new AlertEngine(alertsSchema.parse({ rules: [{ id: "hot", channels: ["bearing"], severity: "critical", when: { above: 80 } }] }), alertStore, quietLog);
  const store = new IncidentStore(db);
  const content = new ContentStore(join(dir, "blocks"));
  const recorder = new IncidentRecorder(incidentsSchema.parse(incidents), { hub, alerts, alertStore, history, store, content, gateway: { name: "t", version: "0" }, log: quietLog, draw: drawHere });
  hub.subscribe((e) => history.onHubEvent(e));
  hub.subscribe((e) => alerts.onHubEvent(e));
  await recorder.start();
  const finalised: FinalisedIncident[] = [];
  recorder.subscribe((e) => finalised.push(e));
  const sink = hub.sinkFor("mill");
  sink.channel({ id: "bearing", name: "Bearing", unit: "°C", source: "mill", staleAfterMs: 5000 });
  sink.camera({ id: "cam", name: "Cam", source: "mill", width: 2, height: 2, rois: [], staleAfterMs: 5000 });
  let seq = 0;
  const frames = setInterval(() => sink.frame("cam", { width: 2, height: 2, seq: seq++, ts: Date.now(), celsius: new Float32Array([20, 21, 22, 23]) }), 100);
  cleanups.push(async () => {
    clearInterval(frames);
    await recorder.stop();
    db.close();
  });
  return { sink, store, content, recorder, finalised };
}

describe("incident recorder", () => {
  it("records one frame per interval from the pre-roll ring to the end of the post-roll, and none with an empty window", async () => {
    for (const [frames, expected] of [[{ before: "1s", after: "500ms", interval: "250ms" }, [5, 7]], [{ before: 0, after: 0 }, [0, 0]]] as const) {
      const { sink, content, finalised } = await running({ telemetry: { before: "2s", after: "200ms" }, frames, sound: { before: 0, after: 0 } });
      await new Promise((r) => setTimeout(r, 1200));
      sink.reading({ channel: "bearing", ts: Date.now(), value: 85 });
      const [done] = await waitFor("the record", () => (finalised.length ? finalised : undefined), 5000);
      const manifest = JSON.parse(Buffer.from((await content.readFile(CID.parse(done.incident.cid), "manifest.json"))!).toString());
      const got = manifest.cameras.list.flatMap((c: { frames: unknown[] }) => c.frames).length;
      expect(got, JSON.stringify(frames)).toBeGreaterThanOrEqual(expected[0]);
      expect(got, JSON.stringify(frames)).toBeLessThanOrEqual(expected[1]);
      expect(manifest.microphones.list).toEqual([]);
      expect(manifest.omitted).toEqual([]);
      expect(done.quiet).toBe(false);
      while (cleanups.length) await cleanups.pop()!();
    }
  }, 20_000);
});
