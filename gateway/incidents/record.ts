import type { CameraInfo, ChannelInfo, MicInfo, SpectrumColumn } from "../../sensors/index.js";
import type { AlertView } from "../alerts/engine.js";
import type { Rule } from "../alerts/schema.js";
import type { SeriesPoint } from "../history/historyStore.js";
import { oggOpus } from "./oggOpus.js";

export const MANIFEST_FORMAT = "wachter-incident/1";

export interface Window {
  from: number;
  to: number;
}

export interface AlertEvent {
  from_state: string;
  to_state: string;
  at: number;
  value: number | null;
  detail: string;
}

/** Everything a record is made of. The same inputs always give the same files. */
export interface IncidentInputs {
  gateway: { name: string; version: string };
  alert: Pick<AlertView, "id" | "rule" | "channel" | "name" | "severity" | "description" | "value" | "unit" | "labels" | "firingSince">;
  /** The rule as it was when the alert fired. */
  rule: Rule;
  firingAt: number;
  events: AlertEvent[];
  /** Each channel's history as `telemetryCsv` writes it (made channel by channel, the event loop free in between). */
  telemetry: { window: Window; step: number; channels: Array<{ info: ChannelInfo; points: number; csv: Uint8Array }> };
  /** Frames as the thermal data channel carries them (docs/protocol.md). */
  cameras: { window: Window; interval: number; list: Array<{ info: CameraInfo; frames: Array<{ ts: number; seq: number; bytes: Uint8Array }> }> };
  /** RTP packets with the wall time they arrived. */
  microphones: { window: Window; list: Array<{ info: MicInfo; packets: Array<{ at: number; packet: Uint8Array }>; spectrum: SpectrumColumn[] }> };
  maxBytes: number;
}

export interface IncidentFile {
  path: string;
  content: Uint8Array;
}

/** Room kept for the manifest when the size cap is applied. */
const MANIFEST_ALLOWANCE = 64 * 1024;
const text = (s: string) => new TextEncoder().encode(s);
const json = (v: unknown) => text(`${JSON.stringify(v, null, 1)}\n`);

/**
 * A file name from an id: anything but [A-Za-z0-9_.-] and a leading "." percent-encoded, so no
 * name is "." or "..", hidden (tools such as ipfs-car skip those), or has a separator.
 */
export function safeName(id: string): string {
  const hex = (c: string) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`;
  return id.replace(/[^A-Za-z0-9_.-]/g, hex).replace(/^\./, hex);
}

export function telemetryCsv(points: SeriesPoint[]): Uint8Array {
  return text(`time,mean,min,max\n${points.map((p) => `${new Date(p.t).toISOString()},${p.mean},${p.min},${p.max}\n`).join("")}`);
}

function spectrumJson(columns: SpectrumColumn[]): Uint8Array {
  return json({
    scale: "per linear frequency bin from 0 Hz to maxHz: 0 = -120 dBFS … 255 = 0 dBFS",
    maxHz: columns[0]?.maxHz ?? null,
    columns: columns.map((c) => ({ ts: c.ts, bins: [...c.bins] })),
  });
}

/**
 * The files of a record and its manifest. Over `maxBytes`, what tells least about the moment
 * goes first: frames farthest from it, then spectra, sound clips and the other channels'
 * telemetry; the manifest says what was left out.
 */
export function buildRecord(inputs: IncidentInputs): { files: IncidentFile[]; manifest: object } {
  const { alert, firingAt } = inputs;
  const omitted: string[] = [];
  const alertFile: IncidentFile = { path: "alert.json", content: json({ alert, rule: inputs.rule, events: inputs.events }) };
  const telemetry = inputs.telemetry.channels.map((c) => ({ c, file: { path: `telemetry/${safeName(c.info.id)}.csv`, content: c.csv } }));
  const sound = inputs.microphones.list.map((m) => {
    const clip = oggOpus(m.packets.map((p) => p.packet));
    return {
      m,
      clip: clip ? { path: `sound/${safeName(m.info.id)}.opus`, content: clip } : undefined,
      spectrum: m.spectrum.length ? { path: `sound/${safeName(m.info.id)}.spectrum.json`, content: spectrumJson(m.spectrum) } : undefined,
    };
  });
  const frames = inputs.cameras.list.flatMap(({ info, frames: list }) =>
    list.map((f, i) => ({ camera: info.id, ts: f.ts, seq: f.seq, file: { path: `frames/${safeName(info.id)}/${String(i).padStart(4, "0")}.thermal`, content: f.bytes } })),
  );

  let budget = inputs.maxBytes - MANIFEST_ALLOWANCE - alertFile.content.length;
  const own = telemetry.filter((t) => t.c.info.id === alert.channel);
  const related = telemetry.filter((t) => t.c.info.id !== alert.channel);
  const keep = new Set<IncidentFile>();
  const take = (f: IncidentFile) => {
    if (f.content.length > budget) return false;
    budget -= f.content.length;
    keep.add(f);
    return true;
  };
  for (const t of own) take(t.file);
  // Reserved in order of importance, then frames nearest the moment fill what is left.
  const rest: Array<{ file: IncidentFile; what: string }> = [
    ...related.map((t) => ({ file: t.file, what: `telemetry of ${t.c.info.id}` })),
    ...sound.flatMap((s) => (s.clip ? [{ file: s.clip, what: `sound of ${s.m.info.id}` }] : [])),
    ...sound.flatMap((s) => (s.spectrum ? [{ file: s.spectrum, what: `spectrum of ${s.m.info.id}` }] : [])),
  ];
  for (const r of rest) if (!take(r.file)) omitted.push(`${r.what} (size cap)`);
  const byNearness = [...frames].sort((a, b) => Math.abs(a.ts - firingAt) - Math.abs(b.ts - firingAt) || a.ts - b.ts || a.camera.localeCompare(b.camera));
  let framesLeft = 0;
  for (const f of byNearness) if (!take(f.file)) framesLeft++;
  if (framesLeft) omitted.push(`${framesLeft} of ${frames.length} frames farthest from the moment the alert fired (size cap)`);

  const kept = <T extends { file?: IncidentFile }>(x: T) => (x.file && keep.has(x.file) ? x.file.path : null);
  const manifest = {
    format: MANIFEST_FORMAT,
    times: "milliseconds since the Unix epoch (UTC)",
    gateway: inputs.gateway,
    alert: { id: alert.id, rule: alert.rule, channel: alert.channel, name: alert.name, severity: alert.severity, description: alert.description, value: alert.value, unit: alert.unit },
    firingAt,
    alertFile: alertFile.path,
    telemetry: {
      ...inputs.telemetry.window,
      step: inputs.telemetry.step,
      columns: "time (ISO 8601), mean, min, max per step",
      channels: telemetry
        .filter((t) => keep.has(t.file))
        .map(({ c, file }) => ({ id: c.info.id, name: c.info.name, unit: c.info.unit, source: c.info.source, file: file.path, points: c.points })),
    },
    cameras: {
      ...inputs.cameras.window,
      interval: inputs.cameras.interval,
      format: "thermal data channel frames, version 1 (docs/protocol.md): u16 pixels, °C = raw × scale + offset",
      list: inputs.cameras.list.map(({ info }) => ({
        id: info.id,
        name: info.name,
        width: info.width,
        height: info.height,
        unit: "°C",
        rois: info.rois,
        frames: frames.filter((f) => f.camera === info.id && keep.has(f.file)).map((f) => ({ file: f.file.path, ts: f.ts, seq: f.seq })),
      })),
    },
    microphones: {
      ...inputs.microphones.window,
      list: sound.map((s) => ({
        id: s.m.info.id,
        name: s.m.info.name,
        clip: s.clip && keep.has(s.clip) ? { file: s.clip.path, format: "Ogg/Opus, 48 kHz mono", firstPacketAt: s.m.packets[0].at, lastPacketAt: s.m.packets[s.m.packets.length - 1].at, packets: s.m.packets.length } : null,
        spectrum: kept({ file: s.spectrum }),
      })),
    },
    omitted,
  };
  const files = [{ path: "manifest.json", content: json(manifest) }, alertFile, ...[...telemetry.map((t) => t.file), ...sound.flatMap((s) => [s.clip, s.spectrum]), ...frames.map((f) => f.file)].filter((f): f is IncidentFile => f !== undefined && keep.has(f))];
  return { files, manifest };
}
