import { setImmediate as nextTurn } from "node:timers/promises";
import { CID } from "multiformats/cid";
import { frameStats, type SpectrumColumn } from "../../sensors/index.js";
import type { Logger } from "../../common/logger.js";
import type { AlertEngine, AlertView } from "../alerts/engine.js";
import type { SqliteAlertStore } from "../alerts/sqliteStore.js";
import type { HistoryStore } from "../history/historyStore.js";
import type { Hub, HubEvent } from "../hub/hub.js";
import { encodeThermal } from "../protocol/thermal.js";
import { ContentStore, importFiles } from "./contentStore.js";
import type { IncidentRow } from "../protocol/incident.js";
import type { IncidentStore } from "./incidentStore.js";
import { pictureWorker, type DrawPicture } from "./pictures.js";
import { buildRecord, nextVersion, telemetryCsv, type IncidentInputs, type Window } from "./record.js";
import type { IncidentsConfig } from "./schema.js";
import { TimedRing } from "./timedRing.js";

export interface FinalisedIncident {
  alert: AlertView;
  /** The firing was not announced (shelved, or part of a flood): neither is its record. */
  quiet: boolean;
  incident: Pick<IncidentRow, "id" | "firingAt" | "from" | "to" | "bytes" | "blocks" | "version" | "previous"> & { cid: string };
}

interface Frame {
  ts: number;
  seq: number;
  bytes: Uint8Array;
}

/** A finalised record whose firing goes on: its later transitions make new versions. */
interface Following {
  row: IncidentRow;
  /** The alert as its last transition left it (an edited or removed rule takes the alert with it). */
  alert: AlertView;
  quiet: boolean;
  /** The firing's transitions are those from here on (pending, else firing)… */
  since: number;
  /** …and before the next firing's first, once it began. */
  until?: number;
  timer?: NodeJS.Timeout;
  /** The firing ended: once its last transitions are in a version, nothing more follows. */
  ended: boolean;
}

/** Transitions close together (an acknowledgement with a note, then a shelving) make one version. */
const VERSION_DELAY_MS = 2000;

interface Recording {
  id: number;
  alert: AlertView;
  quiet: boolean;
  inputs: Pick<IncidentInputs, "rule" | "firingAt">;
  windows: { telemetry: Window; frames: Window; sound: Window };
  cameras?: IncidentInputs["cameras"]["list"];
  microphones?: IncidentInputs["microphones"]["list"];
  timers: NodeJS.Timeout[];
}

/**
 * Keeps the pre-roll of every camera and microphone in bounded rings and, when an alert of a
 * recorded severity fires, assembles its incident record once the post-roll has passed: the
 * rings are read when their post-roll ends, the telemetry from history at the end. The work is
 * asynchronous and in small steps, so the live stream goes on meanwhile.
 */
export class IncidentRecorder {
  private readonly frames = new Map<string, TimedRing<Frame>>();
  private readonly lastFrameSlot = new Map<string, number>();
  private readonly packets = new Map<string, TimedRing<Uint8Array>>();
  private readonly spectra = new Map<string, TimedRing<SpectrumColumn>>();
  private readonly recordings = new Set<Recording>();
  private readonly following = new Map<string, Following>();
  private readonly listeners = new Set<(e: FinalisedIncident) => void>();
  /** Finalisations one after another: two records sharing a block never race over it. */
  private writing: Promise<void> = Promise.resolve();
  private retentionTimer: NodeJS.Timeout | undefined;
  private readonly detach: Array<() => void> = [];
  private readonly pictures = pictureWorker();
  private readonly draw: DrawPicture = async (job) => {
    try {
      return await (this.deps.draw ?? ((j) => this.pictures.run(j)))(job);
    } catch (err) {
      this.deps.log.warn({ picture: job.kind, err: (err as Error).message }, "an incident picture could not be drawn: the record goes without it");
      throw err;
    }
  };

  constructor(
    private readonly config: IncidentsConfig,
    private readonly deps: {
      hub: Hub;
      alerts: AlertEngine;
      alertStore: SqliteAlertStore;
      history: HistoryStore;
      store: IncidentStore;
      content: ContentStore;
      gateway: { name: string; version: string };
      log: Logger;
      /** Where the pictures are drawn: by default on a worker thread of the recorder's. */
      draw?: DrawPicture;
    },
    private readonly now: () => number = Date.now,
  ) {}

  async start(): Promise<void> {
    await this.deps.content.open();
    const cut = this.deps.store.failUnfinished();
    if (cut) this.deps.log.warn({ count: cut }, "incident records cut short by the last stop are marked failed");
    this.detach.push(this.deps.hub.subscribe((e) => this.onHubEvent(e)));
    this.detach.push(
      this.deps.alerts.subscribe({
        transition: (t) => {
          this.follow(t.alert, t.to, t.at);
          if (t.to === "firing") this.begin(t.alert, t.quiet);
        },
      }),
    );
    // Behind the records being written: a block one of them is about to reuse is never deleted under it.
    this.retentionTimer = setInterval(() => (this.writing = this.writing.then(() => this.applyRetention())), 3_600_000);
    await this.applyRetention();
  }

  async stop(): Promise<void> {
    for (const d of this.detach) d();
    clearInterval(this.retentionTimer);
    for (const r of this.recordings) {
      for (const t of r.timers) clearTimeout(t);
      this.deps.store.fail(r.id, "the gateway stopped while recording");
    }
    this.recordings.clear();
    // Versions that were waiting for more transitions are made now.
    for (const f of this.following.values()) {
      if (!f.timer) continue;
      clearTimeout(f.timer);
      f.timer = undefined;
      this.writing = this.writing.then(() => this.addVersion(f));
    }
    this.following.clear();
    await this.writing;
    this.pictures.close();
    await this.deps.content.close();
  }

  subscribe(listener: (e: FinalisedIncident) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Records being recorded now. */
  get active(): number {
    return this.recordings.size;
  }

  onHubEvent(e: HubEvent): void {
    const { frames, sound, maxBytes } = this.config;
    if (e.type === "frame" && frames.before + frames.after > 0) {
      // One frame per interval slot: about one a second whatever the camera's rate.
      const slot = Math.floor(e.frame.ts / frames.interval);
      if (this.lastFrameSlot.get(e.camera) === slot) return;
      this.lastFrameSlot.set(e.camera, slot);
      const { min, max, mean, hotX, hotY } = frameStats(e.frame);
      const f = e.frame;
      const bytes = encodeThermal({ camera: e.camera, width: f.width, height: f.height, seq: f.seq, ts: f.ts, min, max, mean, hotX, hotY, celsius: f.celsius });
      ring(this.frames, e.camera, frames.before + frames.after + frames.interval, maxBytes).push(f.ts, { ts: f.ts, seq: f.seq, bytes }, bytes.length);
    } else if (sound.before + sound.after === 0) {
      return;
    } else if (e.type === "rtp") {
      ring(this.packets, e.stream, sound.before + sound.after, maxBytes).push(this.now(), e.packet, e.packet.length);
    } else if (e.type === "spectrum") {
      ring(this.spectra, e.mic, sound.before + sound.after, maxBytes).push(e.column.ts, e.column, e.column.bins.length + 16);
    }
  }

  private begin(alert: AlertView, quiet: boolean): void {
    const { config, deps } = this;
    if (!config.enabled || !config.severities.includes(alert.severity)) return;
    if (this.recordings.size >= config.maxConcurrent) {
      deps.log.warn({ alert: alert.id, recording: this.recordings.size }, "too many incident records at once: none for this alert");
      return;
    }
    const rule = deps.alerts.ruleList().find((r) => r.id === alert.rule);
    if (!rule) return;
    const firingAt = alert.firingSince ?? this.now();
    const around = (w: { before: number; after: number }): Window => ({ from: firingAt - w.before, to: firingAt + w.after });
    const windows = { telemetry: around(config.telemetry), frames: around(config.frames), sound: around(config.sound) };
    const to = Math.max(windows.telemetry.to, windows.frames.to, windows.sound.to);
    const from = Math.min(windows.telemetry.from, windows.frames.from, windows.sound.from);
    let id: number;
    try {
      id = deps.store.begin(alert.id, firingAt, from, to);
    } catch (err) {
      deps.log.error({ alert: alert.id, err: (err as Error).message }, "cannot start an incident record");
      return;
    }
    const r: Recording = { id, alert, quiet, inputs: { rule: structuredClone(rule), firingAt }, windows, timers: [] };
    this.recordings.add(r);
    const at = (t: number, f: () => void) => r.timers.push(setTimeout(f, Math.max(0, t - this.now())));
    at(windows.frames.to, () => (r.cameras = this.cameraSnapshot(windows.frames)));
    at(windows.sound.to, () => (r.microphones = this.microphoneSnapshot(windows.sound)));
    // A moment after the last window ends, so the readings stamped at its end have arrived.
    at(to + 500, () => {
      this.writing = this.writing.then(() => this.finalise(r));
    });
    deps.log.info({ alert: alert.id, incident: id, until: new Date(to).toISOString() }, "recording an incident");
  }

  /** An empty window (before and after 0) turns that kind of recording off. */
  private cameraSnapshot(w: Window): IncidentInputs["cameras"]["list"] {
    if (w.from === w.to) return [];
    return this.deps.hub.cameraStates().map((c) => ({ info: c.info, frames: (this.frames.get(c.info.id)?.range(w.from, w.to) ?? []).map((x) => x.item) }));
  }

  private microphoneSnapshot(w: Window): IncidentInputs["microphones"]["list"] {
    if (w.from === w.to) return [];
    return this.deps.hub.micStates().map((m) => ({
      info: m.info,
      packets: (this.packets.get(m.info.id)?.range(w.from, w.to) ?? []).map((x) => ({ at: x.at, packet: x.item })),
      spectrum: (this.spectra.get(m.info.id)?.range(w.from, w.to) ?? []).map((x) => x.item),
    }));
  }

  private async finalise(r: Recording): Promise<void> {
    const { deps, config } = this;
    if (!this.recordings.has(r)) return;
    const started = performance.now();
    try {
      const { telemetry } = r.windows;
      const source = deps.hub.channelStates().find((c) => c.info.id === r.alert.channel)?.info.source;
      const related = deps.hub.channelStates().filter((c) => c.info.id === r.alert.channel || (source !== undefined && c.info.source === source));
      const channels: IncidentInputs["telemetry"]["channels"] = [];
      // The slowest channel's history (read on the history's worker thread), then building the files.
      let historyMs = 0;
      for (const c of related) {
        const t = performance.now();
        const points = await deps.history.query(c.info.id, telemetry.from, telemetry.to, config.telemetry.step);
        channels.push({ info: c.info, points: points.length, csv: telemetryCsv(points) });
        historyMs = Math.max(historyMs, performance.now() - t);
        await nextTurn();
      }
      const since = r.alert.pendingSince ?? r.inputs.firingAt;
      const events = deps.alertStore
        .events(r.alert.id, 1000)
        .filter((e) => e.at >= since && e.at <= telemetry.to)
        .reverse();
      const { alert } = r;
      const built = performance.now();
      const { files } = await buildRecord({
        gateway: deps.gateway,
        alert: { id: alert.id, rule: alert.rule, channel: alert.channel, name: alert.name, severity: alert.severity, description: alert.description, value: alert.value, unit: alert.unit, labels: alert.labels, firingSince: alert.firingSince },
        rule: r.inputs.rule,
        firingAt: r.inputs.firingAt,
        events,
        telemetry: { window: telemetry, step: config.telemetry.step, channels },
        cameras: { window: r.windows.frames, interval: config.frames.interval, list: r.cameras ?? [] },
        microphones: { window: r.windows.sound, list: r.microphones ?? [] },
        maxBytes: config.maxBytes,
      }, this.draw);
      const buildMs = performance.now() - built;
      r.cameras = r.microphones = undefined;
      await nextTurn();
      const { root, blocks } = await importFiles(files);
      const bytes = blocks.reduce((n, b) => n + b.bytes.length, 0);
      await deps.content.put(blocks, (written) => deps.content.delete(written.filter((c) => !deps.store.holdsBlock(c.toString()))));
      const cid = root.toString();
      deps.store.finalise(r.id, cid, bytes, blocks.map((b) => b.cid.toString()), this.now());
      const ms = Math.round(performance.now() - started);
      const held = { historyMs: Math.round(historyMs), buildMs: Math.round(buildMs) };
      deps.log.info({ alert: alert.id, incident: r.id, cid, bytes, blocks: blocks.length, files: files.length, ms, ...held }, "incident record finalised");
      const event: FinalisedIncident = { alert, quiet: r.quiet, incident: { id: r.id, cid, firingAt: r.inputs.firingAt, from: Math.min(telemetry.from, r.windows.frames.from, r.windows.sound.from), to: Math.max(telemetry.to, r.windows.frames.to, r.windows.sound.to), bytes, blocks: blocks.length, version: 1, previous: null } };
      for (const l of this.listeners) l(event);
      // Transitions of this firing after the telemetry window, or still to come, go into later versions.
      const now = deps.alerts.get(alert.id);
      const later = deps.alertStore.events(alert.id, 1).some((e) => e.at > telemetry.to && e.at >= since);
      if (now?.firingSince === r.inputs.firingAt && (now.phase !== "normal" || later)) {
        const f: Following = { row: deps.store.byId(r.id)!, alert: now, quiet: r.quiet, since, ended: now.phase === "normal" };
        this.following.set(alert.id, f);
        if (later) this.versionSoon(f, 0);
      }
    } catch (err) {
      deps.log.error({ alert: r.alert.id, incident: r.id, err: (err as Error).message }, "incident record failed");
      try {
        deps.store.fail(r.id, (err as Error).message);
      } catch {
        // The disk is still full: the row stays "recording" and is marked failed on the next start.
      }
    } finally {
      this.recordings.delete(r);
    }
  }

  /**
   * A transition of an alert whose record is finalised: a new version soon. When the alert's next
   * cycle begins (pending or firing again), a version still to come is made at once with the
   * transitions before it, and nothing more follows.
   */
  private follow(alert: AlertView, to: string, at: number): void {
    const f = this.following.get(alert.id) ?? this.resume(alert, to);
    if (!f) return;
    if (to === "pending" || to === "firing" || alert.firingSince !== f.row.firingAt) {
      this.following.delete(alert.id);
      if (!f.timer) return;
      clearTimeout(f.timer);
      f.timer = undefined;
      f.until = at;
      this.writing = this.writing.then(() => this.addVersion(f));
      return;
    }
    f.alert = alert;
    if (to === "resolved" || to === "normal") f.ended = true;
    this.versionSoon(f, VERSION_DELAY_MS);
  }

  /**
   * After a restart nothing is followed any more: the first transition of a firing whose record
   * was finalised before picks it up again (its newest version), so its transitions still get
   * into a version.
   */
  private resume(alert: AlertView, to: string): Following | undefined {
    const { store, alertStore } = this.deps;
    if (to === "pending" || to === "firing" || alert.firingSince === null) return undefined;
    if (alert.phase === "normal" && to !== "resolved") return undefined;
    if ([...this.recordings].some((r) => r.alert.id === alert.id)) return undefined;
    const row = store.latestFor(alert.id, alert.firingSince);
    if (!row) return undefined;
    const firingAt = alert.firingSince;
    // The firing's transitions begin with its pending one, as in the first version.
    const pending = alertStore.events(alert.id, 1000).find((e) => e.to_state === "pending" && e.at <= firingAt);
    // Whether its firing was announced is not kept: a shelved alert's versions stay quiet.
    const quiet = alert.shelvedUntil !== null && alert.shelvedUntil > this.now();
    const f: Following = { row, alert, quiet, since: pending?.at ?? firingAt, ended: false };
    this.following.set(alert.id, f);
    this.deps.log.info({ alert: alert.id, incident: row.id, version: row.version }, "incident record followed again after a restart");
    return f;
  }

  private versionSoon(f: Following, delayMs: number): void {
    clearTimeout(f.timer);
    f.timer = setTimeout(() => {
      f.timer = undefined;
      this.writing = this.writing.then(() => this.addVersion(f));
    }, delayMs);
  }

  /** The next version of a followed record, with every transition of its firing so far. */
  private async addVersion(f: Following): Promise<void> {
    const { deps } = this;
    const alertId = f.row.alert;
    try {
      const events = deps.alertStore
        .events(alertId, 1000)
        .filter((e) => e.at >= f.since && (f.until === undefined || e.at < f.until))
        .reverse();
      const previous = { cid: f.row.cid!, files: await deps.content.readTree(CID.parse(f.row.cid!)) };
      const { files, manifest } = nextVersion(previous, events);
      const { root, blocks } = await importFiles(files);
      const bytes = blocks.reduce((n, b) => n + b.bytes.length, 0);
      await deps.content.put(blocks, (written) => deps.content.delete(written.filter((c) => !deps.store.holdsBlock(c.toString()))));
      const row = deps.store.addVersion(f.row, { cid: root.toString(), bytes, blocks: blocks.map((b) => b.cid.toString()), at: this.now() });
      deps.log.info({ alert: alertId, incident: row.id, cid: row.cid, version: row.version, previous: row.previous, events: events.length }, "incident record: new version");
      f.row = row;
      const event: FinalisedIncident = { alert: f.alert, quiet: f.quiet, incident: { id: row.id, cid: row.cid!, firingAt: row.firingAt, from: row.from, to: row.to, bytes, blocks: blocks.length, version: manifest.version, previous: row.previous } };
      for (const l of this.listeners) l(event);
    } catch (err) {
      deps.log.error({ alert: alertId, incident: f.row.id, err: (err as Error).message }, "incident record: cannot make a new version; its transitions stay in the alert's events");
    }
    if (f.ended && !f.timer && this.following.get(alertId) === f) this.following.delete(alertId);
  }

  /** Deletes records past retention or over the disk budget, and the blocks no other record holds. */
  async applyRetention(): Promise<void> {
    const { store, content, log } = this.deps;
    try {
      for (const row of store.expired(this.now() - this.config.retention, this.config.maxDiskBytes)) {
        const orphans = store.delete(row.id);
        if (!orphans) continue;
        await content.delete(orphans.map((c) => CID.parse(c)));
        log.info({ incident: row.id, cid: row.cid }, "incident record deleted (retention)");
      }
    } catch (err) {
      log.warn({ err: (err as Error).message }, "cannot apply incident retention now; trying again in an hour");
    }
  }
}

function ring<T>(rings: Map<string, TimedRing<T>>, key: string, spanMs: number, maxBytes: number): TimedRing<T> {
  let r = rings.get(key);
  if (!r) {
    r = new TimedRing<T>(spanMs, maxBytes);
    rings.set(key, r);
  }
  return r;
}
