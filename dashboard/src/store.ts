import type { ChannelMsg, SourceMsg, TelemetryMessage } from "../../gateway/protocol/telemetry.js";

/** Browser-side copy of what the gateway knows, kept to a bounded window per channel. */
export interface Series {
  ts: number[];
  values: number[];
}

const MAX_POINTS = 20_000;
const KEEP_MS = 60 * 60 * 1000;

export class Store {
  channels = new Map<string, ChannelMsg>();
  sources = new Map<string, SourceMsg>();
  series = new Map<string, Series>();
  gateway = { name: "", version: "", timeZone: "UTC", plantView: false };
  /** Gateway clock minus browser clock, so ages are right even when the clocks differ. */
  clockOffset = 0;
  /** Bumped on structural changes (channels added, snapshot) so the view can rebuild. */
  generation = 0;
  dirty = true;

  serverNow(): number {
    return Date.now() + this.clockOffset;
  }

  apply(msg: TelemetryMessage): void {
    switch (msg.t) {
      case "snapshot":
        this.gateway = msg.gateway;
        this.clockOffset = msg.now - Date.now();
        this.channels = new Map(msg.channels.map((c) => [c.id, c]));
        this.sources = new Map(msg.sources.map((s) => [s.id, s]));
        this.series = new Map(msg.channels.map((c) => [c.id, { ts: [], values: [] }]));
        this.generation++;
        break;
      case "history":
        // Chunks come newest first, interleaved with live readings.
        this.insert(msg.channel, msg.ts, msg.values);
        break;
      case "readings":
        this.clockOffset = msg.now - Date.now();
        for (const [id, ts, value] of msg.r) {
          const c = this.channels.get(id);
          if (!c) continue;
          c.last = [ts, value, msg.now];
          c.stale = false;
          const s = this.series.get(id)!;
          // In time order, as the gateway's ring: after its clock was set back, points dated later go.
          while (s.ts.length > 0 && s.ts[s.ts.length - 1] > ts) {
            s.ts.pop();
            s.values.pop();
          }
          s.ts.push(ts);
          s.values.push(value);
          this.trim(s);
        }
        break;
      case "channel":
        if (!this.channels.has(msg.channel.id)) {
          this.series.set(msg.channel.id, { ts: [], values: [] });
          this.generation++;
        }
        this.channels.set(msg.channel.id, msg.channel);
        break;
      case "stale": {
        const c = this.channels.get(msg.channel);
        if (c) c.stale = msg.stale;
        break;
      }
      case "source":
        this.sources.set(msg.source.id, msg.source);
        break;
      case "tick":
        this.clockOffset = msg.now - Date.now();
        break;
    }
    this.dirty = true;
  }

  /** Points from elsewhere in time (history chunks, the history API), merged in time order. */
  insert(channel: string, ts: number[], values: number[]): void {
    const s = this.series.get(channel);
    if (!s || ts.length === 0) return;
    if (s.ts.length === 0 || ts[ts.length - 1] < s.ts[0]) {
      s.ts.unshift(...ts);
      s.values.unshift(...values);
    } else {
      const old: Series = { ts: s.ts.slice(), values: s.values.slice() };
      s.ts.length = 0;
      s.values.length = 0;
      let i = 0;
      let j = 0;
      while (i < old.ts.length || j < ts.length) {
        const fromOld = j >= ts.length || (i < old.ts.length && old.ts[i] <= ts[j]);
        s.ts.push(fromOld ? old.ts[i] : ts[j]);
        s.values.push(fromOld ? old.values[i++] : values[j++]);
      }
    }
    this.dirty = true;
  }

  private trim(s: Series): void {
    const cutoff = this.serverNow() - KEEP_MS;
    let drop = 0;
    while (drop < s.ts.length && (s.ts[drop] < cutoff || s.ts.length - drop > MAX_POINTS)) drop++;
    if (drop > 256 || s.ts.length > MAX_POINTS) {
      s.ts.splice(0, drop);
      s.values.splice(0, drop);
    }
  }
}
