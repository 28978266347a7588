import { readingSchema, type CameraInfo, type ChannelInfo, type MicInfo, type Reading, type SourceSink, type SourceStatus, type SpectrumColumn, type ThermalFrame } from "../../sensors/index.js";
import { systemClock, type Clock } from "../../common/clock.js";
import type { Logger } from "../../common/logger.js";
import { RateLimitedWarn } from "../../common/rateLimitedLog.js";
import { Devices, type DeviceState } from "./devices.js";
import { Ring } from "./ring.js";

export interface LastReading {
  ts: number;
  value: number;
  /** When the gateway received it (gateway clock). */
  rx: number;
}

export interface ChannelState {
  info: ChannelInfo;
  last: LastReading | undefined;
  stale: boolean;
}

export type CameraState = DeviceState<CameraInfo>;
export type MicState = DeviceState<MicInfo>;

export interface SourceState {
  id: string;
  status: SourceStatus;
  since: number;
  readings: number;
  rejects: number;
  lastReject?: string;
}

export type HubEvent =
  | { type: "reading"; channel: string; ts: number; value: number; rx: number }
  | { type: "channel"; info: ChannelInfo }
  | { type: "stale"; channel: string; stale: boolean }
  | { type: "source"; source: SourceState }
  | { type: "camera"; camera: CameraState }
  | { type: "frame"; camera: string; frame: ThermalFrame }
  | { type: "microphone"; mic: MicState }
  | { type: "rtp"; stream: string; packet: Buffer }
  | { type: "spectrum"; mic: string; column: SpectrumColumn };

export type HubListener = (event: HubEvent) => void;

interface ChannelEntry extends ChannelState {
  ring: Ring;
  /** When the last reading arrived, on the monotonic clock: staleness is a duration. */
  rxMono: number;
}

/**
 * Every reading passes through here: latest value per channel, staleness, a bounded ring of
 * recent history, and source health. Listeners are called synchronously and must not block;
 * each consumer keeps its own bounded buffer.
 */
/** How far a sensor's timestamp may be ahead of or behind the gateway's clock and still be believed. */
export const SENSOR_CLOCK_AHEAD_MS = 5 * 60_000;
export const SENSOR_CLOCK_BEHIND_MS = 24 * 3_600_000;

export class Hub {
  private readonly channels = new Map<string, ChannelEntry>();
  private readonly sources = new Map<string, SourceState>();
  private readonly cameras: Devices<CameraInfo>;
  private readonly mics: Devices<MicInfo>;
  private readonly latestFrames = new Map<string, ThermalFrame>();
  private readonly listeners = new Set<HubListener>();
  private staleTimer: NodeJS.Timeout | undefined;
  private readonly rejectLogs = new Map<string, RateLimitedWarn>();
  private readonly retimeLogs = new Map<string, RateLimitedWarn>();

  constructor(
    private readonly log: Logger,
    private readonly historyPoints = 3000,
    private readonly clock: Clock = systemClock,
  ) {
    this.cameras = new Devices("camera", log, (camera) => this.emit({ type: "camera", camera }));
    this.mics = new Devices("microphone", log, (mic) => this.emit({ type: "microphone", mic }));
  }

  start(checkEveryMs = 250): void {
    this.staleTimer = setInterval(() => this.checkStale(), checkEveryMs);
  }

  stop(): void {
    clearInterval(this.staleTimer);
  }

  subscribe(listener: HubListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The sink a source writes to. Readings for channels the source did not declare are rejected. */
  sinkFor(sourceId: string): SourceSink {
    const source = this.ensureSource(sourceId);
    return {
      channel: (info) => this.defineChannel({ ...info, source: sourceId }),
      reading: (reading) => this.publish(source, reading),
      camera: (info) => this.cameras.define({ ...info, source: sourceId }),
      frame: (camera, frame) => this.publishFrame(source, camera, frame),
      microphone: (info) => this.mics.define({ ...info, source: sourceId }),
      rtp: (stream, packet) => this.emit({ type: "rtp", stream, packet }),
      spectrum: (mic, column) => this.publishSpectrum(source, mic, column),
      status: (status) => this.setStatus(source, status),
      offline: (channels) => this.markOffline(sourceId, channels),
      reject: (reason, sample) => this.reject(source, reason, sample),
    };
  }

  channelStates(): ChannelState[] {
    return [...this.channels.values()].map(({ info, last, stale }) => ({ info, last, stale }));
  }

  sourceStates(): SourceState[] {
    return [...this.sources.values()].map((s) => ({ ...s, status: { ...s.status } }));
  }

  cameraStates(): CameraState[] {
    return this.cameras.list();
  }

  micStates(): MicState[] {
    return this.mics.list();
  }

  latestFrame(camera: string): ThermalFrame | undefined {
    return this.latestFrames.get(camera);
  }

  history(channel: string): { ts: number[]; values: number[] } | undefined {
    return this.channels.get(channel)?.ring.toArrays();
  }

  /** Forgets a source's channels, e.g. when it is removed by a reload. */
  removeSource(sourceId: string): void {
    this.sources.delete(sourceId);
    for (const [id, entry] of this.channels) if (entry.info.source === sourceId) this.channels.delete(id);
    for (const cam of this.cameras.list()) if (cam.info.source === sourceId) this.latestFrames.delete(cam.info.id);
    this.cameras.removeSource(sourceId);
    this.mics.removeSource(sourceId);
  }

  private defineChannel(info: ChannelInfo): void {
    const existing = this.channels.get(info.id);
    if (existing && existing.info.source !== info.source) {
      this.log.error({ channel: info.id, sources: [existing.info.source, info.source] }, "two sources claim the same channel; keeping the first");
      return;
    }
    if (existing) existing.info = info;
    else this.channels.set(info.id, { info, last: undefined, stale: true, ring: new Ring(this.historyPoints), rxMono: 0 });
    this.emit({ type: "channel", info });
  }

  private publishFrame(source: SourceState, camera: string, frame: ThermalFrame): void {
    if (!this.cameras.touch(source.id, camera, this.clock.mono())) return this.reject(source, `frame for undeclared camera "${camera}"`, "");
    this.latestFrames.set(camera, frame);
    this.emit({ type: "frame", camera, frame });
  }

  private publishSpectrum(source: SourceState, mic: string, column: SpectrumColumn): void {
    if (!this.mics.touch(source.id, mic, this.clock.mono())) return this.reject(source, `spectrum for undeclared microphone "${mic}"`, "");
    this.emit({ type: "spectrum", mic, column });
  }

  private publish(source: SourceState, reading: Reading): void {
    const parsed = readingSchema.safeParse(reading);
    const entry = this.channels.get(reading.channel);
    if (!parsed.success || !entry || entry.info.source !== source.id) {
      this.reject(source, parsed.success ? `reading for undeclared channel "${reading.channel}"` : "invalid reading", JSON.stringify(reading));
      return;
    }
    const rx = this.clock.wall();
    const { value } = parsed.data;
    const ts = this.plausibleTime(source, parsed.data.ts, rx);
    entry.last = { ts, value, rx };
    entry.rxMono = this.clock.mono();
    entry.ring.push(ts, value);
    source.readings++;
    this.emit({ type: "reading", channel: reading.channel, ts, value, rx });
    if (entry.stale) {
      entry.stale = false;
      this.emit({ type: "stale", channel: reading.channel, stale: false });
    }
  }

  private setStatus(source: SourceState, status: SourceStatus): void {
    if (source.status.state !== status.state || source.status.detail !== status.detail) {
      if (source.status.state !== status.state) source.since = this.clock.wall();
      source.status = status;
      this.emit({ type: "source", source: { ...source, status: { ...status } } });
    }
  }

  /**
   * A sensor's own timestamp is kept when it is near the gateway's clock. One far off (a device whose
   * clock was never set, or a garbled field: the year 128,724) would misplace the reading in history
   * and escape retention, so the reading keeps its value and takes the time it arrived.
   */
  private plausibleTime(source: SourceState, ts: number, rx: number): number {
    if (ts <= rx + SENSOR_CLOCK_AHEAD_MS && ts >= rx - SENSOR_CLOCK_BEHIND_MS) return ts;
    const sensorTime = Number.isFinite(new Date(ts).getTime()) ? new Date(ts).toISOString() : String(ts);
    this.limitedLog(this.retimeLogs, source.id, 60_000).warn({ source: source.id, sensorTime }, "sensor time far from the gateway's clock: using the time the reading arrived");
    return rx;
  }

  private reject(source: SourceState, reason: string, sample: string): void {
    source.rejects++;
    source.lastReject = reason;
    this.limitedLog(this.rejectLogs, source.id, 10_000).warn({ source: source.id, reason, sample: sample.slice(0, 120), rejects: source.rejects }, "rejected input");
  }

  /** The source's rate-limited log in `logs`, made on first use. */
  private limitedLog(logs: Map<string, RateLimitedWarn>, source: string, intervalMs: number): RateLimitedWarn {
    let log = logs.get(source);
    if (!log) {
      log = new RateLimitedWarn(this.log, intervalMs, this.clock);
      logs.set(source, log);
    }
    return log;
  }

  private ensureSource(id: string): SourceState {
    let source = this.sources.get(id);
    if (!source) {
      source = { id, status: { state: "starting" }, since: this.clock.wall(), readings: 0, rejects: 0 };
      this.sources.set(id, source);
    }
    return source;
  }

  private markOffline(sourceId: string, channels: string[]): void {
    for (const id of channels) {
      const entry = this.channels.get(id);
      if (!entry || entry.info.source !== sourceId || entry.stale) continue;
      entry.stale = true;
      this.emit({ type: "stale", channel: id, stale: true });
    }
  }

  private checkStale(): void {
    const t = this.clock.mono();
    for (const [id, entry] of this.channels) {
      if (!entry.stale && entry.last && t - entry.rxMono > entry.info.staleAfterMs) {
        entry.stale = true;
        this.emit({ type: "stale", channel: id, stale: true });
      }
    }
    this.cameras.checkStale(t);
    this.mics.checkStale(t);
  }

  private emit(event: HubEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.log.error({ err: (err as Error).message, event: event.type }, "hub listener failed");
      }
    }
  }
}
