import {
  readingSchema,
  type CameraInfo,
  type ChannelInfo,
  type Logger,
  type MicInfo,
  type Reading,
  type SourceSink,
  type SourceStatus,
  type SpectrumColumn,
  type ThermalFrame,
} from "../../sensors/index.js";
import { RateLimitedWarn } from "../../sensors/common/rateLimitedLog.js";
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

export interface CameraState {
  info: CameraInfo;
  stale: boolean;
  lastFrameAt: number | undefined;
}

export interface MicState {
  info: MicInfo;
  stale: boolean;
  lastDataAt: number | undefined;
}

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
}

/**
 * Every reading passes through here: latest value per channel, staleness, a bounded ring of
 * recent history, and source health. Listeners are called synchronously and must not block;
 * each consumer keeps its own bounded buffer.
 */
export class Hub {
  private readonly channels = new Map<string, ChannelEntry>();
  private readonly sources = new Map<string, SourceState>();
  private readonly cameras = new Map<string, CameraState & { frame: ThermalFrame | undefined }>();
  private readonly mics = new Map<string, MicState>();
  private readonly listeners = new Set<HubListener>();
  private staleTimer: NodeJS.Timeout | undefined;
  private readonly rejectLogs = new Map<string, RateLimitedWarn>();

  constructor(
    private readonly log: Logger,
    private readonly historyPoints = 3000,
    private readonly now: () => number = Date.now,
  ) {}

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
      camera: (info) => this.defineCamera({ ...info, source: sourceId }),
      frame: (camera, frame) => this.publishFrame(source, camera, frame),
      microphone: (info) => this.defineMic({ ...info, source: sourceId }),
      rtp: (stream, packet) => this.emit({ type: "rtp", stream, packet }),
      spectrum: (mic, column) => this.publishSpectrum(source, mic, column),
      status: (status) => this.setStatus(source, status),
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
    return [...this.cameras.values()].map(({ info, stale, lastFrameAt }) => ({ info, stale, lastFrameAt }));
  }

  micStates(): MicState[] {
    return [...this.mics.values()].map((m) => ({ ...m }));
  }

  latestFrame(camera: string): ThermalFrame | undefined {
    return this.cameras.get(camera)?.frame;
  }

  history(channel: string): { ts: number[]; values: number[] } | undefined {
    return this.channels.get(channel)?.ring.toArrays();
  }

  /** Forgets a source's channels, e.g. when it is removed by a reload. */
  removeSource(sourceId: string): void {
    this.sources.delete(sourceId);
    for (const [id, entry] of this.channels) if (entry.info.source === sourceId) this.channels.delete(id);
    for (const [id, cam] of this.cameras) if (cam.info.source === sourceId) this.cameras.delete(id);
    for (const [id, mic] of this.mics) if (mic.info.source === sourceId) this.mics.delete(id);
  }

  private defineChannel(info: ChannelInfo): void {
    const existing = this.channels.get(info.id);
    if (existing && existing.info.source !== info.source) {
      this.log.error({ channel: info.id, sources: [existing.info.source, info.source] }, "two sources claim the same channel; keeping the first");
      return;
    }
    if (existing) existing.info = info;
    else this.channels.set(info.id, { info, last: undefined, stale: true, ring: new Ring(this.historyPoints) });
    this.emit({ type: "channel", info });
  }

  private defineCamera(info: CameraInfo): void {
    const existing = this.cameras.get(info.id);
    if (existing && existing.info.source !== info.source) {
      this.log.error({ camera: info.id }, "two sources claim the same camera; keeping the first");
      return;
    }
    const state = existing ?? { info, stale: true, lastFrameAt: undefined, frame: undefined };
    state.info = info;
    this.cameras.set(info.id, state);
    this.emit({ type: "camera", camera: { info, stale: state.stale, lastFrameAt: state.lastFrameAt } });
  }

  private publishFrame(source: SourceState, camera: string, frame: ThermalFrame): void {
    const state = this.cameras.get(camera);
    if (!state || state.info.source !== source.id) {
      this.reject(source, `frame for undeclared camera "${camera}"`, "");
      return;
    }
    state.frame = frame;
    state.lastFrameAt = this.now();
    this.emit({ type: "frame", camera, frame });
    if (state.stale) {
      state.stale = false;
      this.emit({ type: "camera", camera: { info: state.info, stale: false, lastFrameAt: state.lastFrameAt } });
    }
  }

  private defineMic(info: MicInfo): void {
    const state = this.mics.get(info.id) ?? { info, stale: true, lastDataAt: undefined };
    state.info = info;
    this.mics.set(info.id, state);
    this.emit({ type: "microphone", mic: { ...state } });
  }

  private publishSpectrum(source: SourceState, mic: string, column: SpectrumColumn): void {
    const state = this.mics.get(mic);
    if (!state || state.info.source !== source.id) return this.reject(source, `spectrum for undeclared microphone "${mic}"`, "");
    state.lastDataAt = this.now();
    this.emit({ type: "spectrum", mic, column });
    if (state.stale) {
      state.stale = false;
      this.emit({ type: "microphone", mic: { ...state } });
    }
  }

  private publish(source: SourceState, reading: Reading): void {
    const parsed = readingSchema.safeParse(reading);
    const entry = this.channels.get(reading.channel);
    if (!parsed.success || !entry || entry.info.source !== source.id) {
      this.reject(source, parsed.success ? `reading for undeclared channel "${reading.channel}"` : "invalid reading", JSON.stringify(reading));
      return;
    }
    const rx = this.now();
    const { ts, value } = parsed.data;
    entry.last = { ts, value, rx };
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
      if (source.status.state !== status.state) source.since = this.now();
      source.status = status;
      this.emit({ type: "source", source: { ...source, status: { ...status } } });
    }
  }

  private reject(source: SourceState, reason: string, sample: string): void {
    source.rejects++;
    source.lastReject = reason;
    let log = this.rejectLogs.get(source.id);
    if (!log) {
      log = new RateLimitedWarn(this.log, 10_000, this.now);
      this.rejectLogs.set(source.id, log);
    }
    log.warn({ source: source.id, reason, sample: sample.slice(0, 120), rejects: source.rejects }, "rejected input");
  }

  private ensureSource(id: string): SourceState {
    let source = this.sources.get(id);
    if (!source) {
      source = { id, status: { state: "starting" }, since: this.now(), readings: 0, rejects: 0 };
      this.sources.set(id, source);
    }
    return source;
  }

  private checkStale(): void {
    const t = this.now();
    for (const [id, entry] of this.channels) {
      if (!entry.stale && entry.last && t - entry.last.rx > entry.info.staleAfterMs) {
        entry.stale = true;
        this.emit({ type: "stale", channel: id, stale: true });
      }
    }
    for (const mic of this.mics.values()) {
      if (!mic.stale && mic.lastDataAt !== undefined && t - mic.lastDataAt > mic.info.staleAfterMs) {
        mic.stale = true;
        this.emit({ type: "microphone", mic: { ...mic } });
      }
    }
    for (const cam of this.cameras.values()) {
      if (!cam.stale && cam.lastFrameAt !== undefined && t - cam.lastFrameAt > cam.info.staleAfterMs) {
        cam.stale = true;
        this.emit({ type: "camera", camera: { info: cam.info, stale: true, lastFrameAt: cam.lastFrameAt } });
      }
    }
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
