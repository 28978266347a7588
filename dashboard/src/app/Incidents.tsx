import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import uPlot, { type AlignedData } from "uplot";
import type { AlertMsg, ThresholdMsg } from "../../../gateway/protocol/alerts.js";
import { MANIFEST_FORMAT, type IncidentAlertEvent, type IncidentManifest, type IncidentRow, type IncidentSpectrum } from "../../../gateway/protocol/incident.js";
import { decodeThermal, frameRange, paletteLut, PALETTES, type Palette, type WireFrame } from "../../../gateway/protocol/thermal.js";
import { AXIS, drawThresholds } from "../charts.js";
import { formatValue } from "../format.js";
import { drawOverlays, drawPaletteBar, paintFrame, roiStats } from "../thermalDraw.js";
import { CELSIUS, formatShown, shownUnit, shownValue } from "../units.js";
import { SEVERITY_ICON } from "./AlarmBanner.js";
import { api } from "./api.js";
import { language, t, type MessageKey } from "./i18n.js";
import { plantTime } from "./plantTime.js";
import { canAct, plantTimeZone, temperatureUnit } from "./state.js";

type Severity = AlertMsg["severity"];
const WITH_SECONDS: Intl.DateTimeFormatOptions = { dateStyle: "short", timeStyle: "medium" };
const megabytes = (bytes: number) => `${formatValue(bytes / 1_000_000, 2)} MB`;
const severityText = (s: Severity) => `${SEVERITY_ICON[s]} ${t(`severity.${s}` as MessageKey)}`;
/** Where a record's copy on the plant's IPFS node stands, in words ("retrying: reason" and "failed: reason" as the gateway gives them). */
function replicationText(state: string | null): string {
  if (state === null) return "";
  if (state === "replicated" || state === "pending") return t(`incidents.replication.${state}`);
  const [, kind, reason] = /^(retrying|failed): (.*)$/s.exec(state) ?? [undefined, "failed", state];
  return t(kind === "retrying" ? "incidents.replication.retrying" : "incidents.replication.failed", { reason });
}

const temperature = (celsius: number, decimals = 1) => `${formatShown(celsius, CELSIUS, temperatureUnit.value, decimals)} ${shownUnit(CELSIUS, temperatureUnit.value)}`;

/** Every incident record the gateway keeps, newest first, looked at again every few seconds (more often while one is being made). */
export function IncidentsPage() {
  const [rows, setRows] = useState<IncidentRow[]>();
  const [alerts, setAlerts] = useState(new Map<string, AlertMsg>());
  const [error, setError] = useState("");
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let gone = false;
    const load = async () => {
      let recording = false;
      try {
        const [list, current] = await Promise.all([api<IncidentRow[]>("GET", "api/incidents"), api<AlertMsg[]>("GET", "api/alerts")]);
        if (gone) return;
        setError(list.ok ? "" : t("error.refused", { error: list.error }));
        // A firing's newest version holds the ones before it: one row per firing.
        if (list.ok) setRows(list.data.filter((r, i) => !list.data.slice(0, i).some((n) => n.alert === r.alert && n.firingAt === r.firingAt)));
        if (current.ok) setAlerts(new Map(current.data.map((a) => [a.id, a])));
        recording = list.ok && list.data.some((r) => r.status === "recording");
      } catch (err) {
        // The gateway unreachable (restarting): said, and asked again.
        if (!gone) setError(t("error.refused", { error: (err as Error).message }));
      } finally {
        if (!gone) timer = setTimeout(() => void load(), recording ? 2000 : 5000);
      }
    };
    void load();
    return () => {
      gone = true;
      clearTimeout(timer);
    };
  }, []);

  return (
    <section class="panel page page-wide" aria-labelledby="incidents-title">
      <h1 id="incidents-title">{t("incidents.title")}</h1>
      <p class="muted">{t("incidents.intro")}</p>
      {error && <p class="error">{error}</p>}
      {rows?.length === 0 && <p>{t("incidents.none")}</p>}
      {!!rows?.length && (
        <div class="table-scroll">
          <table class="incidents">
            <thead>
              <tr>
                <th scope="col">{t("incidents.fired")}</th>
                <th scope="col">{t("incidents.alert")}</th>
                <th scope="col">{t("incidents.record")}</th>
                <th scope="col">{t("incidents.size")}</th>
                {rows.some((r) => r.replication !== null) && <th scope="col">{t("incidents.replication")}</th>}
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => {
                const alert = alerts.get(r.alert);
                return (
                  <tr key={r.id} data-incident={r.id} data-status={r.status} data-cid={r.cid ?? undefined}>
                    <td>{plantTime(r.firingAt, WITH_SECONDS)}</td>
                    <td>
                      {alert && <span class="sev-word">{severityText(alert.severity)}</span>} {alert?.name ?? r.alert}
                    </td>
                    <td>
                      {r.status === "finalised" && r.cid ? (
                        <>
                          <a href={`#/incident/${r.cid}`} aria-label={t("incidents.openNamed", { alert: alert?.name ?? r.alert, time: plantTime(r.firingAt, WITH_SECONDS) })}>
                            {t("incidents.open")}
                          </a>
                          {r.version > 1 && ` · ${t("incidents.version", { n: r.version })}`}
                          {r.pinnedBy && <span data-pinned="true">{` · ${t("incidents.pinned")}`}</span>}
                        </>
                      ) : r.status === "recording" ? (
                        t("incidents.recording", { time: plantTime(r.to, WITH_SECONDS) })
                      ) : (
                        t("incidents.failed", { error: r.error ?? "" })
                      )}
                    </td>
                    <td>{r.bytes !== null ? megabytes(r.bytes) : ""}</td>
                    {rows.some((x) => x.replication !== null) && <td data-replication={r.replication ?? undefined}>{replicationText(r.replication)}</td>}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/**
 * Whether the firing's records are pinned (kept beyond retention and the disk budget), by whom,
 * and for operators the button that pins or unpins them, with the gateway's answer if it refuses.
 */
function PinControl({ row, onChange }: { row: IncidentRow; onChange: (row: IncidentRow) => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const toggle = async () => {
    setBusy(true);
    const res = await api<IncidentRow>(row.pinnedBy ? "DELETE" : "PUT", `api/incidents/${encodeURIComponent(row.cid!)}/pin`);
    setBusy(false);
    setError(res.ok ? null : res.error);
    if (res.ok) onChange(res.data);
  };
  return (
    <div class="incident-pin" data-pinned={row.pinnedBy ? "true" : "false"}>
      <p class="hint">{row.pinnedBy ? t("incident.pinnedBy", { name: row.pinnedBy, time: plantTime(row.pinnedAt!) }) : t("incident.notPinned")}</p>
      {canAct() && (
        <button type="button" name="pin" aria-pressed={row.pinnedBy !== null} disabled={busy} onClick={() => void toggle()}>
          {t(row.pinnedBy ? "incident.unpin" : "incident.pin")}
        </button>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

interface AlertFile {
  alert: { name: string; severity: Severity; channel: string; unit: string; description: string; value: number | null };
  rule: { id: string; when: unknown };
  events: IncidentAlertEvent[];
}

type Loaded =
  | { state: "loading" }
  | { state: "failed"; error: string; tampered: boolean }
  | { state: "ok"; files: Map<string, Uint8Array>; blocks: number; bytes: number; manifest: IncidentManifest; alertFile: AlertFile; carUrl: string };

const json = <T,>(bytes: Uint8Array | undefined): T | undefined => (bytes ? (JSON.parse(new TextDecoder().decode(bytes)) as T) : undefined);

/** The `above` and `below` limits of a rule's condition(s), as threshold lines. */
function limitsOf(rule: AlertFile["rule"], channel: string, severity: Severity): ThresholdMsg[] {
  const w = rule.when as { any?: unknown[]; all?: unknown[] };
  const conditions = (w.any ?? w.all ?? [w]) as Array<{ above?: unknown; below?: unknown }>;
  return conditions.flatMap((c) =>
    (["above", "below"] as const).flatMap((kind) => (typeof c[kind] === "number" ? [{ channel, rule: rule.id, severity, kind, value: c[kind] as number }] : [])),
  );
}

/**
 * One incident record, downloaded whole as its CAR and checked block by block against its CID
 * before anything of it is shown: the thermal frames as a sequence to scrub or play, the sound
 * with its spectrogram, the measurements around the moment with the rule's limits, and the
 * alert's transitions. The CAR that was checked is what the download button saves.
 */
export function IncidentPage({ cid }: { cid: string }) {
  const [loaded, setLoaded] = useState<Loaded>({ state: "loading" });
  const [row, setRow] = useState<IncidentRow | null>(null);
  useEffect(() => {
    api<{ incident: IncidentRow }>("GET", `api/incidents/${encodeURIComponent(cid)}`).then(
      (res) => setRow(res.ok ? res.data.incident : null),
      () => setRow(null),
    );
  }, [cid]);
  useEffect(() => {
    let url: string | undefined;
    let gone = false;
    const show = (state: Loaded) => void (gone || setLoaded(state));
    void (async () => {
      const res = await fetch(`api/incidents/${encodeURIComponent(cid)}.car`, { credentials: "same-origin" });
      if (!res.ok) {
        const answer = (await res.json().catch(() => ({}))) as { error?: string };
        return show({ state: "failed", error: answer.error ?? `HTTP ${res.status}`, tampered: false });
      }
      const car = new Uint8Array(await res.arrayBuffer());
      // The CAR and UnixFS code is loaded with the first record opened: the overview does without it.
      const { readIncidentCar, RecordError } = await import("./incidentRecord.js");
      try {
        const { files, blocks } = await readIncidentCar(car, cid);
        const manifest = json<IncidentManifest>(files.get("manifest.json"));
        if (manifest?.format !== MANIFEST_FORMAT) throw new Error(`not a ${MANIFEST_FORMAT} record`);
        const alertFile = json<AlertFile>(files.get(manifest.alertFile))!;
        if (gone) return;
        url = URL.createObjectURL(new Blob([car], { type: "application/vnd.ipld.car" }));
        show({ state: "ok", files, blocks, bytes: car.length, manifest, alertFile, carUrl: url });
      } catch (err) {
        show({ state: "failed", error: (err as Error).message, tampered: err instanceof RecordError });
      }
    })().catch((err: Error) => show({ state: "failed", error: err.message, tampered: false }));
    return () => {
      gone = true;
      if (url) URL.revokeObjectURL(url);
    };
  }, [cid]);

  if (loaded.state === "loading") {
    return (
      <section class="panel page" aria-busy="true">
        <h1>{t("incident.title")}</h1>
        <p role="status">{t("incident.loading")}</p>
      </section>
    );
  }
  if (loaded.state === "failed") {
    return (
      <section class="panel page" data-verified="false">
        <h1>{t("incident.title")}</h1>
        <p class="error verify-failed" role="alert">
          {t(loaded.tampered ? "incident.notVerified" : "incident.loadFailed", { error: loaded.error })}
        </p>
        <p>
          <code class="cid">{cid}</code>
        </p>
      </section>
    );
  }
  const { manifest, alertFile, files } = loaded;
  const alert = manifest.alert;
  const to = temperatureUnit.value;
  const limits = limitsOf(alertFile.rule, alert.channel, alert.severity);
  return (
    <section class="panel page page-wide incident" aria-labelledby="incident-title" data-verified="true" data-blocks={loaded.blocks}>
      <h1 id="incident-title">
        <span class="sev-word">{severityText(alert.severity)}</span> {alert.name}
      </h1>
      <p class="incident-summary">
        {t("incident.firedAt", { time: plantTime(manifest.firingAt, WITH_SECONDS), zone: plantTimeZone.value })}
        {alert.value !== null && ` · ${t("incident.value", { value: `${formatShown(alert.value, alert.unit, to)} ${shownUnit(alert.unit, to)}` })}`}
        {limits.map((l) => ` · ${t("alarm.limit", { op: l.kind === "above" ? ">" : "<", value: formatShown(l.value, alert.unit, to), unit: shownUnit(alert.unit, to) })}`).join("")}
      </p>
      {alert.description && <p>{alert.description}</p>}
      <p class="muted">
        {t("incident.recordedBy", { name: manifest.gateway.name, version: manifest.gateway.version })} ·{" "}
        {t("incident.window", { from: plantTime(manifest.telemetry.from, WITH_SECONDS), to: plantTime(manifest.telemetry.to, WITH_SECONDS) })}
      </p>
      <div class="incident-evidence">
        <p class="verify-ok" role="status">
          <span aria-hidden="true">✓ </span>
          {t("incident.verified", { blocks: loaded.blocks, size: megabytes(loaded.bytes) })}
        </p>
        <code class="cid">{cid}</code>
        <a class="button" href={loaded.carUrl} download={`${cid}.car`}>
          {t("incident.downloadCar")}
        </a>
        <p class="hint">{t("incident.carHint")}</p>
        {row?.replication != null && (
          <p class="hint" data-replication={row.replication}>
            {t("incidents.replication")}: {replicationText(row.replication)}
          </p>
        )}
        {row && <PinControl row={row} onChange={setRow} />}
      </div>
      {manifest.previous && (
        <p class="incident-version">
          {t("incident.version", { n: manifest.version })} <a href={`#/incident/${manifest.previous}`}>{t("incident.previous")}</a>
        </p>
      )}
      {manifest.omitted.length > 0 && <p class="hint">{t("incident.omitted", { what: manifest.omitted.join("; ") })}</p>}

      {manifest.cameras.list.length > 0 && <h2>{t("incident.cameras")}</h2>}
      {manifest.cameras.list.map((camera) => (
        <IncidentCamera key={camera.id} camera={camera} files={files} firingAt={manifest.firingAt} />
      ))}
      {manifest.microphones.list.length > 0 && <h2>{t("incident.sound")}</h2>}
      {manifest.microphones.list.map((mic) => (
        <IncidentSound key={mic.id} mic={mic} files={files} firingAt={manifest.firingAt} />
      ))}
      {manifest.telemetry.channels.length > 0 && <h2>{t("incident.telemetry")}</h2>}
      <div class="incident-charts">
        {[...manifest.telemetry.channels].sort((a, b) => Number(b.id === alert.channel) - Number(a.id === alert.channel)).map((c) => (
          <IncidentChart
            key={c.id}
            channel={c}
            csv={files.get(c.file)}
            thresholds={c.id === alert.channel ? limits : []}
            firingAt={manifest.firingAt}
            window={manifest.telemetry}
          />
        ))}
      </div>
      <h2>{t("incident.events")}</h2>
      <ol class="incident-events">
        {alertFile.events.map((e) => (
          <li key={`${e.at}-${e.to_state}`} data-transition={e.to_state}>
            {plantTime(e.at, WITH_SECONDS)}: {e.from_state} → {e.to_state}
            {e.value !== null ? `, ${formatShown(e.value, alert.unit, to)} ${shownUnit(alert.unit, to)}` : ""}
            {e.detail ? ` (${e.detail})` : ""}
          </li>
        ))}
      </ol>
    </section>
  );
}

const offsetFormat = (lang: string) => new Intl.NumberFormat(lang, { signDisplay: "exceptZero", minimumFractionDigits: 1, maximumFractionDigits: 1 });
/** A moment of the record said against the moment the alert fired ("+2,0 s"). */
const relative = (ts: number, firingAt: number) => (ts === firingAt ? t("incident.atFiring") : `${offsetFormat(language.value).format((ts - firingAt) / 1000)} s`);

type Camera = IncidentManifest["cameras"]["list"][number];

/**
 * A camera's frames as a sequence: a slider (arrow keys step a frame), play and pause, a jump to
 * the frame nearest the moment the alert fired, the palette, one colour range for the whole record
 * (frames compare at a glance) or each frame's own, the regions, the hottest spot and the
 * temperature under the pointer, all from the exact radiometric frames.
 */
function IncidentCamera({ camera, files, firingAt }: { camera: Camera; files: Map<string, Uint8Array>; firingAt: number }) {
  const frames = useMemo(
    () =>
      camera.frames.flatMap((f) => {
        const bytes = files.get(f.file);
        const frame = bytes && decodeThermal(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
        return frame ? [frame] : [];
      }),
    [camera, files],
  );
  const nearest = useMemo(() => frames.reduce((best, f, i) => (Math.abs(f.ts - firingAt) < Math.abs(frames[best].ts - firingAt) ? i : best), 0), [frames, firingAt]);
  const [index, setIndex] = useState(nearest);
  const [palette, setPalette] = useState<Palette>("ironbow");
  const [scale, setScale] = useState<"record" | "frame">("record");
  const [playing, setPlaying] = useState(false);
  const [pointer, setPointer] = useState<{ x: number; y: number }>();
  const canvas = useRef<HTMLCanvasElement>(null);
  const legend = useRef<HTMLCanvasElement>(null);
  const offscreen = useMemo(() => document.createElement("canvas"), []);
  const lut = useMemo(() => paletteLut(palette), [palette]);
  const recordRange = useMemo(() => frameRange(Math.min(...frames.map((f) => f.min)), Math.max(...frames.map((f) => f.max)), 0), [frames]);
  const frame: WireFrame | undefined = frames[index];
  const range = frame && (scale === "record" ? recordRange : frameRange(frame.min, frame.max, frame.ts));

  useEffect(() => {
    const ctx = canvas.current?.getContext("2d");
    if (!ctx || !frame || !range) return;
    paintFrame(ctx, offscreen, frame, range, lut);
    drawOverlays(ctx, frame, camera.rois, (c) => temperature(c));
  }, [frame, lut, scale, temperatureUnit.value, language.value]);
  useEffect(() => {
    if (legend.current) drawPaletteBar(legend.current, lut);
  }, [lut]);
  useEffect(() => {
    if (!playing) return;
    // At the pace the frames were taken; from the start again when played at the end.
    if (index >= frames.length - 1) setIndex(0);
    const timer = setInterval(() => setIndex((i) => (i + 1 < frames.length ? i + 1 : (setPlaying(false), i))), Math.max(100, camera.frames[1] ? camera.frames[1].ts - camera.frames[0].ts : 1000));
    return () => clearInterval(timer);
  }, [playing]);

  if (!frame || !range) return <p class="muted">{t("incident.noFrames", { name: camera.name })}</p>;
  const zoom = Math.max(2, Math.round(640 / frame.width));
  const px = pointer && Math.min(frame.width - 1, Math.max(0, Math.floor(pointer.x * frame.width)));
  const py = pointer && Math.min(frame.height - 1, Math.max(0, Math.floor(pointer.y * frame.height)));
  return (
    <section class="incident-camera" data-camera={camera.id} data-frames={frames.length} data-index={index} data-ts={frame.ts} aria-label={camera.name}>
      <h3>{camera.name}</h3>
      <div class="thermal-body">
        <div class="thermal-stage" style={{ aspectRatio: `${frame.width} / ${frame.height}` }}>
          <canvas
            ref={canvas}
            class="thermal-canvas"
            width={frame.width * zoom}
            height={frame.height * zoom}
            aria-label={t("incident.frameLabel", { name: camera.name, time: plantTime(frame.ts, WITH_SECONDS) })}
            role="img"
            onPointerMove={(e) => {
              const r = (e.currentTarget as HTMLCanvasElement).getBoundingClientRect();
              setPointer({ x: (e.clientX - r.left) / r.width, y: (e.clientY - r.top) / r.height });
            }}
            onPointerLeave={() => setPointer(undefined)}
          />
        </div>
        <div class="thermal-side">
          <span>{temperature(range.hi)}</span>
          <canvas ref={legend} class="thermal-legend" width={16} height={256} aria-hidden="true" />
          <span>{temperature(range.lo)}</span>
        </div>
      </div>
      <p class="incident-frame-time">
        <strong>{plantTime(frame.ts, WITH_SECONDS)}</strong> ({relative(frame.ts, firingAt)}) · {t("incident.frameOf", { n: index + 1, count: frames.length })}
      </p>
      <div class="incident-controls">
        <button type="button" name="play" data-playing={playing} onClick={() => setPlaying(!playing)}>
          {t(playing ? "incident.pause" : "incident.play")}
        </button>
        <label class="incident-slider">
          <span>{t("incident.frame")}</span>
          <input
            type="range"
            name="frame"
            min={0}
            max={frames.length - 1}
            step={1}
            value={index}
            aria-valuetext={`${t("incident.frameOf", { n: index + 1, count: frames.length })}, ${plantTime(frame.ts, WITH_SECONDS)}`}
            onInput={(e) => setIndex(Number((e.target as HTMLInputElement).value))}
          />
        </label>
        <button type="button" name="moment" onClick={() => setIndex(nearest)}>
          {t("incident.toMoment")}
        </button>
        <label>
          <span>{t("thermal.palette")}</span>{" "}
          <select name="palette" value={palette} onChange={(e) => setPalette((e.target as HTMLSelectElement).value as Palette)}>
            {PALETTES.map((p) => (
              <option key={p} value={p}>
                {t(`thermal.palette.${p}` as MessageKey)}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>{t("incident.scale")}</span>{" "}
          <select name="scale" value={scale} onChange={(e) => setScale((e.target as HTMLSelectElement).value as "record" | "frame")}>
            <option value="record">{t("incident.scale.record")}</option>
            <option value="frame">{t("incident.scale.frame")}</option>
          </select>
        </label>
      </div>
      <p class="thermal-readout">
        {px !== undefined && py !== undefined ? t("thermal.readout", { t: temperature(frame.celsius[py * frame.width + px], 2), x: px, y: py }) : t("thermal.pointHint")}
      </p>
      <ul class="thermal-stats">
        <li>{t("thermal.stat.max", { v: temperature(frame.max) })}</li>
        <li>{t("thermal.stat.mean", { v: temperature(frame.mean) })}</li>
        <li>{t("thermal.stat.min", { v: temperature(frame.min) })}</li>
        {camera.rois.map((roi) => {
          const { max, mean } = roiStats(frame, roi);
          return (
            <li key={roi.name} data-roi={roi.name}>
              {t("thermal.roi", { name: roi.name, max: temperature(max), mean: temperature(mean) })}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

type Mic = IncidentManifest["microphones"]["list"][number];
const SPECTROGRAM_HEIGHT = 128;
const SPECTROGRAM_WIDTH = 960;

/** A microphone's clip to play, and its spectrogram with the moment it fired and where playback is. */
function IncidentSound({ mic, files, firingAt }: { mic: Mic; files: Map<string, Uint8Array>; firingAt: number }) {
  const clip = mic.clip && files.get(mic.clip.file);
  const url = useMemo(() => (clip ? URL.createObjectURL(new Blob([clip as Uint8Array<ArrayBuffer>], { type: "audio/ogg; codecs=opus" })) : undefined), [clip]);
  useEffect(() => () => url && URL.revokeObjectURL(url), [url]);
  const spectrum = useMemo(() => (mic.spectrum ? json<IncidentSpectrum>(files.get(mic.spectrum)) : undefined), [mic, files]);
  const [playedTo, setPlayedTo] = useState<number>();
  const canvas = useRef<HTMLCanvasElement>(null);
  const columns = spectrum?.columns ?? [];
  const xOf = (ts: number) => (columns.length < 2 ? 0 : ((ts - columns[0].ts) / (columns[columns.length - 1].ts - columns[0].ts)) * (columns.length - 1));

  const picture = useMemo(() => {
    if (!columns.length) return undefined;
    const lut = paletteLut("ironbow");
    const c = document.createElement("canvas");
    c.width = columns.length;
    c.height = SPECTROGRAM_HEIGHT;
    const ctx = c.getContext("2d")!;
    const img = ctx.createImageData(columns.length, SPECTROGRAM_HEIGHT);
    columns.forEach((column, x) => {
      for (let y = 0; y < SPECTROGRAM_HEIGHT; y++) {
        const k = column.bins[Math.floor(((SPECTROGRAM_HEIGHT - 1 - y) / SPECTROGRAM_HEIGHT) * column.bins.length)] * 3;
        img.data.set([lut[k], lut[k + 1], lut[k + 2], 255], (y * columns.length + x) * 4);
      }
    });
    ctx.putImageData(img, 0, 0);
    return c;
  }, [columns]);

  // A column a few pixels wide, and the moment and playback as thin lines over it.
  useEffect(() => {
    const ctx = canvas.current?.getContext("2d");
    if (!ctx || !picture) return;
    const { width, height } = ctx.canvas;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(picture, 0, 0, width, height);
    const line = (ts: number, colour: string) => {
      ctx.fillStyle = colour;
      ctx.fillRect(Math.round(((xOf(ts) + 0.5) / columns.length) * width) - 1, 0, 2, height);
    };
    line(firingAt, "#ffffff");
    if (playedTo !== undefined) line(playedTo, "#4cc9f0");
  }, [picture, playedTo]);

  return (
    <section class="incident-sound" data-mic={mic.id} aria-label={mic.name}>
      <h3>{mic.name}</h3>
      {url && mic.clip ? (
        <audio
          controls
          preload="auto"
          src={url}
          data-first-packet-at={mic.clip.firstPacketAt}
          onTimeUpdate={(e) => setPlayedTo(mic.clip!.firstPacketAt + (e.currentTarget as HTMLAudioElement).currentTime * 1000)}
        />
      ) : (
        <p class="muted">{t("incident.noClip")}</p>
      )}
      {columns.length > 0 && (
        <figure class="incident-spectrogram" data-columns={columns.length}>
          <canvas ref={canvas} width={SPECTROGRAM_WIDTH} height={SPECTROGRAM_HEIGHT} role="img" aria-label={t("incident.spectrogram", { maxHz: formatValue(spectrum?.maxHz ?? 0, 0) })} />
          <figcaption class="hint">
            {plantTime(columns[0].ts, WITH_SECONDS)} – {plantTime(columns[columns.length - 1].ts, WITH_SECONDS)} · {t("incident.spectrogram", { maxHz: formatValue(spectrum?.maxHz ?? 0, 0) })}
          </figcaption>
        </figure>
      )}
    </section>
  );
}

type RecordChannel = IncidentManifest["telemetry"]["channels"][number];

/** "time,mean,min,max" rows (ISO 8601 times) as points. */
function parseCsv(bytes: Uint8Array | undefined): Array<{ t: number; mean: number; min: number; max: number }> {
  if (!bytes) return [];
  return new TextDecoder()
    .decode(bytes)
    .split("\n")
    .slice(1)
    .filter((line) => line)
    .map((line) => {
      const [time, mean, min, max] = line.split(",");
      return { t: Date.parse(time), mean: Number(mean), min: Number(min), max: Number(max) };
    });
}

/** A channel around the moment: the mean with its min/max band, the rule's limits, and a line where the alert fired. */
function IncidentChart({ channel, csv, thresholds, firingAt, window }: { channel: RecordChannel; csv: Uint8Array | undefined; thresholds: ThresholdMsg[]; firingAt: number; window: { from: number; to: number } }) {
  const host = useRef<HTMLDivElement>(null);
  const points = useMemo(() => parseCsv(csv), [csv]);
  const to = temperatureUnit.value;
  const shown = shownUnit(channel.unit, to);
  useEffect(() => {
    if (!host.current) return;
    const toShown = (v: number) => shownValue(v, channel.unit, to);
    const color = "#4cc9f0";
    const format = (_u: uPlot, v: number | null) => (v == null ? "–" : formatValue(v));
    const plot = new uPlot(
      {
        width: host.current.clientWidth || 600,
        height: 220,
        scales: { x: { time: true, range: () => [window.from / 1000, window.to / 1000] } },
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), plantTimeZone.value),
        axes: [{ ...AXIS }, { ...AXIS, label: shown, size: 60 }],
        series: [
          {},
          { label: t("channel.mean"), stroke: color, width: 2, value: format },
          { label: t("channel.min"), stroke: `${color}66`, width: 1, value: format },
          { label: t("channel.max"), stroke: `${color}66`, width: 1, value: format },
        ],
        bands: [{ series: [3, 2], fill: `${color}22` }],
        hooks: {
          draw: [
            (u) => {
              drawThresholds(u, thresholds.map((th) => ({ ...th, value: toShown(th.value) })), true, (v) => formatValue(v));
              const { ctx, bbox } = u;
              const x = u.valToPos(firingAt / 1000, "x", true);
              ctx.save();
              ctx.fillStyle = "#ff5d73";
              ctx.fillRect(x - devicePixelRatio, bbox.top, 2 * devicePixelRatio, bbox.height);
              ctx.font = `${12 * devicePixelRatio}px system-ui, sans-serif`;
              ctx.textBaseline = "top";
              ctx.fillText(t("incident.firedMark"), x + 4 * devicePixelRatio, bbox.top + 2 * devicePixelRatio);
              ctx.restore();
              host.current!.dataset.firingX = String(Math.round(x / devicePixelRatio));
            },
          ],
        },
      },
      [points.map((p) => p.t / 1000), points.map((p) => toShown(p.mean)), points.map((p) => toShown(p.min)), points.map((p) => toShown(p.max))] as AlignedData,
      host.current,
    );
    return () => plot.destroy();
  }, [points, to, language.value, plantTimeZone.value]);
  return (
    <figure class="incident-chart" data-channel={channel.id} data-points={points.length}>
      <figcaption>
        <strong>{channel.name}</strong> <span class="muted">{channel.id}</span>
      </figcaption>
      <div ref={host} />
    </figure>
  );
}
