import type { CameraState, ChannelState, Hub, HubEvent, MicState, SourceState } from "../hub/hub.js";
import type { CameraMsg, ChannelMsg, MicMsg, ReadingTuple, SourceMsg, TelemetryMessage, VideoColours } from "../protocol/telemetry.js";
import { DrainWatch } from "./drainWatch.js";
import type { ReadingBatch, ReadingBatches } from "./readingBatches.js";
import { thinMinMax } from "./thinHistory.js";

/** What the stream needs from a data channel; werift's RTCDataChannel is adapted to it. */
export interface MessageOut {
  send(data: string | Buffer): void;
  readonly bufferedAmount: number;
  /** Calls back when bufferedAmount falls below the low-water mark; returns an unsubscribe. */
  onDrained(callback: () => void): () => void;
}

export interface TelemetryStreamOptions {
  gateway: { name: string; version: string; timeZone: string; plantView: boolean };
  /** How the thermal video is coloured, so a dashboard can read colours back as temperatures; default ironbow, automatic. */
  video?: VideoColours;
  /** Only this source's channels, cameras and microphones. */
  source?: string;
  /** Above this many queued bytes the viewer is slow: readings coalesce to the latest per channel. */
  highWaterBytes?: number;
  /** A channel that delivers nothing for this long is cut off: readings coalesce, ticks pause (see DrainWatch). */
  stallMs?: number;
  /**
   * A joining viewer gets at most this many points of a channel's in-memory history, thinned
   * to each stretch's lowest and highest: a chart cannot show more, and every join costs
   * CPU and bandwidth in proportion.
   */
  historyMaxPoints?: number;
  historyChunkPoints?: number;
  /**
   * History is sent only while less than this is queued: the channel's low-water mark, so that
   * its drained callback resumes it.
   */
  historyBacklogBytes?: number;
  heartbeatMs?: number;
  now?: () => number;
}

export const channelMsg = (c: ChannelState): ChannelMsg => ({
  id: c.info.id,
  name: c.info.name,
  unit: c.info.unit,
  source: c.info.source,
  staleAfterMs: c.info.staleAfterMs,
  decimals: c.info.decimals,
  group: c.info.group,
  stale: c.stale,
  last: c.last ? [c.last.ts, c.last.value, c.last.rx] : null,
});

export const cameraMsg = (c: CameraState): CameraMsg => ({
  id: c.info.id,
  name: c.info.name,
  source: c.info.source,
  width: c.info.width,
  height: c.info.height,
  stale: c.stale,
  rois: c.info.rois,
});

export const micMsg = (m: MicState): MicMsg => ({ id: m.info.id, name: m.info.name, source: m.info.source, stale: m.stale });

export const sourceMsg = (s: SourceState): SourceMsg => ({
  id: s.id,
  state: s.status.state,
  detail: s.status.detail ?? "",
  since: s.since,
  readings: s.readings,
  rejects: s.rejects,
});

interface HistoryChunk {
  channel: string;
  ts: number[];
  values: number[];
}

/** Every channel's newest chunk first, then every channel's next older one, and so on. */
function historyNewestFirst(hub: Hub, channels: ChannelState[], maxPoints: number, points: number): HistoryChunk[] {
  const perChannel = channels.map((c) => {
    const full = hub.history(c.info.id) ?? { ts: [], values: [] };
    const h = thinMinMax(full.ts, full.values, maxPoints);
    const chunks: HistoryChunk[] = [];
    for (let end = h.ts.length; end > 0; end -= points) {
      const start = Math.max(0, end - points);
      chunks.push({ channel: c.info.id, ts: h.ts.slice(start, end), values: h.values.slice(start, end) });
    }
    return chunks;
  });
  const out: HistoryChunk[] = [];
  for (let i = 0; perChannel.some((chunks) => i < chunks.length); i++) for (const chunks of perChannel) if (i < chunks.length) out.push(chunks[i]);
  return out;
}

/**
 * Feeds one viewer: a snapshot first, then the live readings' shared batches, with the
 * recent history trickling in between (newest chunks first, one per turn, only while the channel
 * has room), so that a joining viewer neither stalls the gateway nor delays live readings. A
 * viewer that cannot keep up, or whose link has stopped delivering (a blackout), gets the newest
 * value per channel instead of a backlog, so its memory use is bounded by the number of channels
 * and what it receives when the link comes back does not grow with the length of the outage.
 */
export class TelemetryStream {
  private scoped = new Set<string>();
  private coalesced = new Map<string, ReadingTuple>();
  private dropped = 0;
  /** Readings of the first batch that the snapshot already carries. */
  private inSnapshot = 0;
  private unbatch: (() => void) | undefined;
  private history: HistoryChunk[] = [];
  private historyScheduled: NodeJS.Immediate | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private undrain: (() => void) | undefined;
  private readonly high: number;
  private readonly now: () => number;
  private readonly link: DrainWatch;

  constructor(
    private readonly hub: Hub,
    private readonly batches: ReadingBatches,
    private readonly out: MessageOut,
    private readonly options: TelemetryStreamOptions,
  ) {
    this.high = options.highWaterBytes ?? 256 * 1024;
    this.now = options.now ?? Date.now;
    this.link = new DrainWatch(out, options.stallMs);
  }

  private mine(source: string): boolean {
    return !this.options.source || source === this.options.source;
  }

  start(): void {
    if (this.unsubscribe) return;
    const channels = this.hub.channelStates().filter((c) => this.mine(c.info.source));
    this.scoped = new Set(channels.map((c) => c.info.id));
    this.history = historyNewestFirst(this.hub, channels, this.options.historyMaxPoints ?? 600, this.options.historyChunkPoints ?? 300);
    const historyFrom: Record<string, number> = {};
    for (const chunk of this.history) historyFrom[chunk.channel] = Math.min(chunk.ts[0], historyFrom[chunk.channel] ?? Infinity);
    this.send({
      v: 1,
      t: "snapshot",
      now: this.now(),
      gateway: this.options.gateway,
      channels: channels.map(channelMsg),
      sources: this.hub.sourceStates().filter((s) => this.mine(s.id)).map(sourceMsg),
      cameras: this.hub.cameraStates().filter((c) => this.mine(c.info.source)).map(cameraMsg),
      mics: this.hub.micStates().filter((m) => this.mine(m.info.source)).map(micMsg),
      video: this.options.video ?? { palette: "ironbow", range: null },
      historyFrom,
    });
    // Subscribing in the same turn as the snapshot means no reading is missed or repeated.
    this.unsubscribe = this.hub.subscribe((e) => this.onHubEvent(e));
    this.inSnapshot = this.batches.unsent;
    this.unbatch = this.batches.subscribe((batch) => this.onBatch(batch));
    this.undrain = this.out.onDrained(() => {
      this.flush();
      if (!this.historyScheduled) this.sendHistory();
    });
    this.sendHistory();
    this.heartbeat = setInterval(() => {
      // Ticks only say "still here": queued behind a dead link they would only be a backlog.
      if (this.link.stalled) return;
      this.flush();
      this.send({ v: 1, t: "tick", now: this.now() });
    }, this.options.heartbeatMs ?? 1000);
  }

  stop(): void {
    this.unsubscribe?.();
    this.unbatch?.();
    this.undrain?.();
    clearInterval(this.heartbeat);
    if (this.historyScheduled) clearImmediate(this.historyScheduled);
    this.history = [];
    this.coalesced.clear();
  }

  private onHubEvent(e: HubEvent): void {
    if (this.options.source && !this.inScope(e)) return;
    switch (e.type) {
      case "channel": {
        const state = this.hub.channelStates().find((c) => c.info.id === e.info.id);
        if (state) this.send({ v: 1, t: "channel", channel: channelMsg(state) });
        break;
      }
      case "stale":
        this.send({ v: 1, t: "stale", channel: e.channel, stale: e.stale });
        break;
      case "source":
        this.send({ v: 1, t: "source", source: sourceMsg(e.source) });
        break;
      case "camera":
        this.send({ v: 1, t: "camera", camera: cameraMsg(e.camera) });
        break;
      case "microphone":
        this.send({ v: 1, t: "microphone", mic: micMsg(e.mic) });
        break;
    }
  }

  private inScope(e: HubEvent): boolean {
    switch (e.type) {
      case "stale":
        return this.scoped.has(e.channel);
      case "channel":
        if (this.mine(e.info.source)) this.scoped.add(e.info.id);
        return this.mine(e.info.source);
      case "source":
        return this.mine(e.source.id);
      case "camera":
        return this.mine(e.camera.info.source);
      case "microphone":
        return this.mine(e.mic.info.source);
      default:
        return false;
    }
  }

  private behind(): boolean {
    return this.out.bufferedAmount > this.high || this.link.stalled;
  }

  private onBatch(batch: ReadingBatch): void {
    let readings = batch.readings;
    let whole = true;
    if (this.inSnapshot > 0) {
      readings = readings.slice(this.inSnapshot);
      this.inSnapshot = 0;
      whole = false;
    }
    if (this.options.source) {
      readings = readings.filter((r) => this.scoped.has(r[0]));
      whole = false;
    }
    if (readings.length === 0) return;
    if (this.behind() || this.coalesced.size > 0) {
      for (const reading of readings) {
        if (this.coalesced.has(reading[0])) this.dropped++;
        this.coalesced.set(reading[0], reading);
      }
      // The link delivers again (a blackout ended) without the buffer crossing the drained mark.
      this.flush();
    } else if (whole) {
      this.link.send(batch.encoded);
    } else {
      this.send({ v: 1, t: "readings", now: batch.now, r: readings });
    }
  }

  /** The newest value per channel kept while the viewer was behind, once it can take them. */
  private flush(): void {
    if (this.behind() || this.coalesced.size === 0) return;
    const msg: TelemetryMessage = { v: 1, t: "readings", now: this.now(), r: [...this.coalesced.values()] };
    this.coalesced.clear();
    if (this.dropped > 0) {
      msg.dropped = this.dropped;
      this.dropped = 0;
    }
    this.send(msg);
  }

  private sendHistory(): void {
    this.historyScheduled = undefined;
    const chunk = this.history[0];
    if (!chunk || this.out.bufferedAmount >= (this.options.historyBacklogBytes ?? 64 * 1024) || this.link.stalled) return;
    this.history.shift();
    this.send({ v: 1, t: "history", ...chunk });
    if (this.history.length > 0) this.historyScheduled = setImmediate(() => this.sendHistory());
  }

  private send(msg: TelemetryMessage): void {
    this.link.send(JSON.stringify(msg));
  }
}
