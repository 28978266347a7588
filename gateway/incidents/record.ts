import { setImmediate as nextTurn } from "node:timers/promises";
import type { CameraInfo, ChannelInfo, MicInfo, SpectrumColumn } from "../../sensors/index.js";
import type { AlertView } from "../alerts/engine.js";
import type { Rule } from "../alerts/schema.js";
import type { SeriesPoint } from "../history/series.js";
import { MANIFEST_FORMAT, type IncidentAlertEvent, type IncidentManifest, type IncidentSpectrum } from "../protocol/incident.js";
import { decodeThermal, type WireFrame } from "../protocol/thermal.js";
import { stillRange } from "./images.js";
import { oggOpus } from "./oggOpus.js";
import { drawHere, type DrawPicture, type PictureJob } from "./pictures.js";

export interface Window {
  from: number;
  to: number;
}

/** Everything a record is made of. The same inputs always give the same files. */
export interface IncidentInputs {
  gateway: { name: string; version: string };
  alert: Pick<AlertView, "id" | "rule" | "channel" | "name" | "severity" | "description" | "value" | "unit" | "labels" | "firingSince">;
  /** The rule as it was when the alert fired. */
  rule: Rule;
  firingAt: number;
  events: IncidentAlertEvent[];
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
  } satisfies IncidentSpectrum);
}

/** The frame nearest the moment, decoded; undefined without frames (or with none that decodes). */
function frameAt(frames: Array<{ ts: number; bytes: Uint8Array }>, at: number): { index: number; frame: WireFrame } | undefined {
  let index = -1;
  frames.forEach((f, i) => {
    if (index < 0 || Math.abs(f.ts - at) < Math.abs(frames[index].ts - at)) index = i;
  });
  if (index < 0) return undefined;
  const b = frames[index].bytes;
  const frame = decodeThermal(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
  return frame && { index, frame };
}

/**
 * The files of a record and its manifest. Over `maxBytes`, what tells least about the moment
 * goes first: frames farthest from it, then spectra, spectrograms, sound clips, the other
 * channels' telemetry and the stills; the manifest says what was left out. `draw` makes the
 * pictures (the gateway's on a worker thread); one it fails to make is left out, and named so.
 */
export async function buildRecord(inputs: IncidentInputs, draw: DrawPicture = drawHere): Promise<{ files: IncidentFile[]; manifest: IncidentManifest }> {
  const { alert, firingAt } = inputs;
  const omitted: string[] = [];
  // The reason is the same whatever went wrong: it is part of the record, and so of its CID.
  const picture = async (path: string, what: string, job: PictureJob): Promise<IncidentFile | undefined> => {
    try {
      return { path, content: await draw(job) };
    } catch {
      omitted.push(`${what} (could not be drawn)`);
      return undefined;
    }
  };
  const alertFile: IncidentFile = { path: "alert.json", content: json({ alert, rule: inputs.rule, events: inputs.events }) };
  const telemetry = inputs.telemetry.channels.map((c) => ({ c, file: { path: `telemetry/${safeName(c.info.id)}.csv`, content: c.csv } }));
  // Each clip and picture on a turn of the event loop of its own: the live stream goes on between them.
  const sound = [];
  for (const m of inputs.microphones.list) {
    await nextTurn();
    const clip = oggOpus(m.packets.map((p) => p.packet));
    sound.push({
      m,
      clip: clip ? { path: `sound/${safeName(m.info.id)}.opus`, content: clip } : undefined,
      spectrum: m.spectrum.length ? { path: `sound/${safeName(m.info.id)}.spectrum.json`, content: spectrumJson(m.spectrum) } : undefined,
      spectrogram: m.spectrum.length ? await picture(`sound/${safeName(m.info.id)}.spectrogram.png`, `spectrogram of ${m.info.id}`, { kind: "spectrogram", columns: m.spectrum, firingAt }) : undefined,
    });
  }
  const stills: Array<{ camera: string; frame?: undefined; seq?: undefined; file?: undefined } | { camera: string; frame: WireFrame; seq: number; file: IncidentFile }> = [];
  for (const { info, frames: list } of inputs.cameras.list) {
    await nextTurn();
    const at = frameAt(list, firingAt);
    const file = at && (await picture(`stills/${safeName(info.id)}.png`, `still of ${info.id}`, { kind: "still", frame: at.frame, regions: info.rois }));
    stills.push(at && file ? { camera: info.id, frame: at.frame, seq: list[at.index].seq, file } : { camera: info.id });
  }
  await nextTurn();
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
    ...stills.flatMap((s) => (s.file ? [{ file: s.file, what: `still of ${s.camera}` }] : [])),
    ...related.map((t) => ({ file: t.file, what: `telemetry of ${t.c.info.id}` })),
    ...sound.flatMap((s) => (s.clip ? [{ file: s.clip, what: `sound of ${s.m.info.id}` }] : [])),
    ...sound.flatMap((s) => (s.spectrogram ? [{ file: s.spectrogram, what: `spectrogram of ${s.m.info.id}` }] : [])),
    ...sound.flatMap((s) => (s.spectrum ? [{ file: s.spectrum, what: `spectrum of ${s.m.info.id}` }] : [])),
  ];
  for (const r of rest) if (!take(r.file)) omitted.push(`${r.what} (size cap)`);
  const byNearness = [...frames].sort((a, b) => Math.abs(a.ts - firingAt) - Math.abs(b.ts - firingAt) || a.ts - b.ts || a.camera.localeCompare(b.camera));
  let framesLeft = 0;
  for (const f of byNearness) if (!take(f.file)) framesLeft++;
  if (framesLeft) omitted.push(`${framesLeft} of ${frames.length} frames farthest from the moment the alert fired (size cap)`);

  const kept = <T extends { file?: IncidentFile }>(x: T) => (x.file && keep.has(x.file) ? x.file.path : null);
  const stillOf = (camera: string) => {
    const s = stills.find((x) => x.camera === camera);
    return s?.file && s.frame && keep.has(s.file) ? { file: s.file.path, ts: s.frame.ts, seq: s.seq, palette: "ironbow" as const, ...stillRange(s.frame) } : null;
  };
  const manifest: IncidentManifest = {
    format: MANIFEST_FORMAT,
    version: 1,
    previous: null,
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
        still: stillOf(info.id),
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
        spectrogram: kept({ file: s.spectrogram }),
      })),
    },
    omitted,
  };
  const files = [{ path: "manifest.json", content: json(manifest) }, alertFile, ...[...telemetry.map((t) => t.file), ...stills.map((s) => s.file), ...sound.flatMap((s) => [s.clip, s.spectrum, s.spectrogram]), ...frames.map((f) => f.file)].filter((f): f is IncidentFile => f !== undefined && keep.has(f))];
  return { files, manifest };
}

/** A manifest's file paths as seen from a version that holds it as its directory `previous`. */
function underPrevious(m: IncidentManifest): IncidentManifest {
  const p = (file: string) => `previous/${file}`;
  return {
    ...m,
    telemetry: { ...m.telemetry, channels: m.telemetry.channels.map((c) => ({ ...c, file: p(c.file) })) },
    cameras: {
      ...m.cameras,
      list: m.cameras.list.map((c) => ({ ...c, still: c.still ? { ...c.still, file: p(c.still.file) } : null, frames: c.frames.map((f) => ({ ...f, file: p(f.file) })) })),
    },
    microphones: {
      ...m.microphones,
      list: m.microphones.list.map((x) => ({ ...x, clip: x.clip && { ...x.clip, file: p(x.clip.file) }, spectrum: x.spectrum && p(x.spectrum), spectrogram: x.spectrogram ? p(x.spectrogram) : null })),
    },
  };
}

/**
 * The next version of a record, for the transitions of its firing that came after it: the
 * version before whole as the directory `previous` (the same files, so the same CID: it is never
 * rewritten), an `alert.json` with every transition so far, and a manifest that names the
 * version before and points at its files.
 */
export function nextVersion(previous: { cid: string; files: IncidentFile[] }, events: IncidentAlertEvent[]): { files: IncidentFile[]; manifest: IncidentManifest } {
  const read = <T>(path: string) => JSON.parse(new TextDecoder().decode(previous.files.find((f) => f.path === path)!.content)) as T;
  const before = read<IncidentManifest>("manifest.json");
  const { alert, rule } = read<{ alert: unknown; rule: unknown }>(before.alertFile);
  const manifest: IncidentManifest = { ...underPrevious(before), version: (before.version ?? 1) + 1, previous: previous.cid, alertFile: "alert.json" };
  return {
    manifest,
    files: [
      { path: "manifest.json", content: json(manifest) },
      { path: "alert.json", content: json({ alert, rule, events }) },
      ...previous.files.map((f) => ({ path: `previous/${f.path}`, content: f.content })),
    ],
  };
}
