import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import { ffmpegRestarts } from "../common/ffmpeg.js";
import type { AlertEngine } from "./alerts/engine.js";
import type { ClockWatch } from "./clockStatus.js";
import type { HistoryStore } from "./history/historyStore.js";
import type { StorageHealth } from "./storage/health.js";
import type { Hub } from "./hub/hub.js";
import { ThermalVideo, type SharedTrack } from "./media/thermalVideo.js";
import type { Sessions } from "./webrtc/sessions.js";

export interface MetricSources {
  hub: Hub;
  sessions: Sessions;
  tracks: () => SharedTrack[];
  alerts: AlertEngine;
  history: HistoryStore;
  storage: StorageHealth;
  clock: ClockWatch;
}

/**
 * Prometheus metrics, all prefixed wachter_. Values are read from the components when scraped,
 * so nothing on the data path pays for them.
 */
export function createMetrics(s: MetricSources): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "wachter_" });
  // Both kinds are filled from the components' state when scraped.
  type Config = { name: string; help: string; labelNames: string[]; registers: Registry[]; collect(this: Counter | Gauge): void };
  const metric = <M extends Counter | Gauge>(Kind: new (c: Config) => M) => (name: string, help: string, labelNames: string[], fill: (m: M) => void) =>
    new Kind({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        fill(this as M);
      },
    });
  const counter = metric<Counter>(Counter);
  const gauge = metric<Gauge>(Gauge);

  counter("wachter_source_readings_total", "Readings accepted per source", ["source"], (c) => {
    for (const src of s.hub.sourceStates()) c.inc({ source: src.id }, src.readings);
  });
  counter("wachter_source_rejects_total", "Input rejected per source (malformed lines, payloads, frames)", ["source"], (c) => {
    for (const src of s.hub.sourceStates()) c.inc({ source: src.id }, src.rejects);
  });
  gauge("wachter_source_up", "1 when the source is up, 0 when starting or down", ["source"], (g) => {
    for (const src of s.hub.sourceStates()) g.set({ source: src.id }, src.status.state === "up" ? 1 : 0);
  });
  gauge("wachter_channel_stale", "1 when a channel has had no reading for its staleAfter", ["channel"], (g) => {
    for (const c of s.hub.channelStates()) g.set({ channel: c.info.id }, c.stale ? 1 : 0);
  });
  gauge("wachter_viewers", "Connected viewer sessions", [], (g) => g.set(s.sessions.size));
  counter("wachter_viewers_refused_memory_total", "New viewers refused (503) because memory was short", [], (c) => c.inc(s.sessions.memory.refusals));
  gauge("wachter_memory_short", "1 while new viewers are refused because memory is short", [], (g) => g.set(s.sessions.memory.status().short === null ? 0 : 1));
  gauge("wachter_heap_old_generation_used_bytes", "V8's old generation in use, which the memory guard compares with its limit", [], (g) => g.set(s.sessions.memory.reading().heapUsed));
  gauge("wachter_heap_old_generation_limit_bytes", "V8's old-generation limit (--max-old-space-size), where the heap runs out", [], (g) => g.set(s.sessions.memory.reading().heapLimit));
  counter("wachter_track_packets_total", "RTP packets forwarded per media track (once, before fan-out)", ["track", "kind"], (c) => {
    for (const t of s.tracks()) c.inc({ track: t.streamId, kind: t.kind }, t.packetsOut);
  });
  counter("wachter_track_bytes_total", "RTP bytes forwarded per media track (once, before fan-out)", ["track", "kind"], (c) => {
    for (const t of s.tracks()) c.inc({ track: t.streamId, kind: t.kind }, t.bytesOut);
  });
  counter("wachter_video_frames_dropped_total", "Camera frames not encoded because the encoder was busy", ["track"], (c) => {
    for (const t of s.tracks()) if (t instanceof ThermalVideo) c.inc({ track: t.streamId }, t.framesDropped);
  });
  counter("wachter_datachannel_messages_total", "Messages sent per data channel label, all viewers", ["label"], (c) => {
    for (const [label, v] of s.sessions.stats.byLabel) c.inc({ label }, v.messages);
  });
  counter("wachter_datachannel_bytes_total", "Bytes sent per data channel label, all viewers", ["label"], (c) => {
    for (const [label, v] of s.sessions.stats.byLabel) c.inc({ label }, v.bytes);
  });
  counter("wachter_ffmpeg_restarts_total", "Restarts of supervised ffmpeg processes", ["process"], (c) => {
    for (const [name, n] of ffmpegRestarts()) c.inc({ process: name }, n);
  });
  gauge("wachter_alerts", "Alerts by state", ["state"], (g) => {
    const counts = { pending: 0, firing: 0, resolved: 0 };
    for (const a of s.alerts.list()) counts[a.state]++;
    for (const [state, n] of Object.entries(counts)) g.set({ state }, n);
  });
  gauge("wachter_storage_write_failing", "1 while a writer cannot write to the database (disk full or failing)", ["writer"], (g) => {
    for (const writer of ["history", "alert state", "notifications", "sessions"]) g.set({ writer }, 0);
    for (const f of s.storage.failures()) g.set({ writer: f.writer }, 1);
  });
  counter("wachter_history_dropped_total", "Samples dropped because history writes fell behind", [], (c) => c.inc(s.history.dropped));
  gauge("wachter_clock_synchronized", "1 when the gateway's clock is synchronised (NTP), 0 when not; absent when the system cannot say", [], (g) => {
    const { synchronized } = s.clock.status();
    if (synchronized !== null) g.set(synchronized ? 1 : 0);
  });
  counter("wachter_clock_jumps_total", "Jumps of the gateway's wall clock (set by NTP or by hand) since it started", [], (c) => c.inc(s.clock.jumps));
  return registry;
}
