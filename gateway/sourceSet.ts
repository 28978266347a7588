import { isDeepStrictEqual } from "node:util";
import type { Logger } from "../common/logger.js";
import { createSource, type Source } from "../sensors/index.js";
import type { SourceConfig } from "./config/schema.js";
import type { Hub } from "./hub/hub.js";
import { AudioTrack } from "./media/audioTrack.js";
import type { VideoConfig } from "./media/schema.js";
import { ThermalVideo, type SharedTrack } from "./media/thermalVideo.js";

export interface ReloadSummary {
  added: string[];
  removed: string[];
  restarted: string[];
  unchanged: string[];
}

/**
 * The running sources and the media tracks their cameras and microphones feed. A reload applies
 * a new source list one source at a time: unchanged sources keep running untouched.
 */
export class SourceSet {
  private readonly entries = new Map<string, { config: SourceConfig; source: Source }>();
  private readonly videos = new Map<string, ThermalVideo>();
  private readonly audios = new Map<string, AudioTrack>();

  constructor(
    private readonly hub: Hub,
    private readonly video: VideoConfig,
    private readonly log: Logger,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  tracks(): SharedTrack[] {
    return [...this.videos.values(), ...this.audios.values()];
  }

  /** Creates the sources (they declare their channels, cameras and microphones) without starting them. */
  create(configs: SourceConfig[]): void {
    for (const config of configs) this.entries.set(config.id, { config, source: createSource(config, this.hub.sinkFor(config.id), this.log) });
    this.syncTracks();
  }

  startAll(): void {
    for (const { source } of this.entries.values()) source.start();
  }

  async apply(configs: SourceConfig[]): Promise<ReloadSummary> {
    const summary: ReloadSummary = { added: [], removed: [], restarted: [], unchanged: [] };
    const wanted = new Map(configs.map((c) => [c.id, c]));
    for (const [id, entry] of this.entries) {
      const next = wanted.get(id);
      if (next && isDeepStrictEqual(next, entry.config)) {
        summary.unchanged.push(id);
        continue;
      }
      await entry.source.stop();
      this.entries.delete(id);
      this.hub.removeSource(id);
      (next ? summary.restarted : summary.removed).push(id);
    }
    for (const config of configs) {
      if (this.entries.has(config.id)) continue;
      const source = createSource(config, this.hub.sinkFor(config.id), this.log);
      this.entries.set(config.id, { config, source });
      source.start();
      if (!summary.restarted.includes(config.id)) summary.added.push(config.id);
    }
    this.syncTracks();
    return summary;
  }

  async stopAll(): Promise<void> {
    await Promise.allSettled([...[...this.entries.values()].map((e) => e.source.stop()), ...[...this.videos.values()].map((v) => v.stop())]);
    for (const a of this.audios.values()) a.stop();
  }

  /** One video track per camera and one audio track per microphone the hub knows. */
  private syncTracks(): void {
    const cameras = new Set(this.hub.cameraStates().map((c) => c.info.id));
    const mics = new Set(this.hub.micStates().map((m) => m.info.id));
    for (const [id, v] of this.videos) if (!cameras.has(id)) void v.stop().then(() => this.videos.delete(id));
    for (const [id, a] of this.audios) {
      if (!mics.has(id)) {
        a.stop();
        this.audios.delete(id);
      }
    }
    for (const id of cameras) if (!this.videos.has(id)) this.videos.set(id, new ThermalVideo(id, this.hub, this.video, this.log));
    for (const id of mics) if (!this.audios.has(id)) this.audios.set(id, new AudioTrack(id, this.hub));
  }
}
