import { effect } from "@preact/signals";
import { followRange, frameRange, paletteLut, PALETTES, VIDEO_RANGE_TAU_MS, type ColourRange, type Palette, type WireFrame } from "../../gateway/protocol/thermal.js";
import type { CameraMsg, VideoColours } from "../../gateway/protocol/telemetry.js";
import { language, t, type MessageKey } from "./app/i18n.js";
import { el, fill, formatValue, setText, showLiveState } from "./format.js";
import { temperatureUnit } from "./app/state.js";
import { CELSIUS, formatShown, shownUnit } from "./units.js";
import { colourKey, inverseLut, matchFrame, recolour, remapIndices, type ColouredFrame } from "./thermalColour.js";
import { drawPaletteBar, paintPixels, roiStats } from "./thermalDraw.js";
import { ThermalOverlay } from "./thermalOverlay.js";
import { whileOffScreen } from "./offScreen.js";
import { loadSettings, parseFixedRange, RANGE_MODES, saveSettings, SLOW_RANGE_TAU_MS, type RangeMode, type ThermalSettings } from "./thermalSettings.js";

/** Recent frames kept to find the one a video picture shows: the video may run this many frames (seconds on a loaded gateway) behind. */
const RECENT_FRAMES = 80;
const inverses = new Map<string, Uint8Array>();

/** Frames are in °C: a temperature in the unit the user chose, with its symbol. */
const temperature = (celsius: number, decimals = 1) => `${formatShown(celsius, CELSIUS, temperatureUnit.value, decimals)} ${shownUnit(CELSIUS, temperatureUnit.value)}`;

/** The inverse of a palette, computed once per page: it takes a few tens of milliseconds. */
function inverseOf(palette: Palette): Uint8Array {
  let inverse = inverses.get(palette);
  if (!inverse) inverses.set(palette, (inverse = inverseLut(paletteLut(palette))));
  return inverse;
}

/**
 * One camera: exact temperatures drawn from radiometric frames, or the gateway's video track
 * re-coloured here. Both show this viewer's palette and colour range, the regions and the hottest
 * spot; readings always come from the radiometric frames, which arrive in both modes.
 */
export class ThermalPanel {
  readonly root: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly video: HTMLVideoElement;
  private readonly readout: HTMLElement;
  private readonly legend: HTMLCanvasElement;
  private readonly legendLo: HTMLElement;
  private readonly legendHi: HTMLElement;
  private readonly legendMode: HTMLElement;
  private readonly stats: HTMLElement;
  private readonly roiList: HTMLElement;
  private readonly state: HTMLElement;
  private readonly paletteSelect: HTMLSelectElement;
  private readonly paletteLabel: HTMLElement;
  private readonly modeButtons: HTMLButtonElement[] = [];
  private readonly toggle: HTMLElement;
  private readonly rangeSelect: HTMLSelectElement;
  private readonly rangeLabel: HTMLElement;
  private readonly fixedForm: HTMLFormElement;
  private readonly fixedMin: HTMLInputElement;
  private readonly fixedMax: HTMLInputElement;
  private readonly fixedMinLabel: HTMLElement;
  private readonly fixedMaxLabel: HTMLElement;
  private readonly fixedApply: HTMLButtonElement;
  private readonly rangeError: HTMLElement;
  private rangeErrorKey: MessageKey | undefined;
  private readonly overlay = new ThermalOverlay();
  private readonly videoPicture = document.createElement("canvas");
  private settings: ThermalSettings;
  private lut: Uint8Array;
  private frame: WireFrame | undefined;
  /** The colour range in use, from the last frame and the chosen mode. */
  private range: ColourRange | undefined;
  /** The range the gateway coloured its video with: fixed, or followed from the frames as the gateway does. */
  private videoRange: ColourRange | undefined;
  private videoColours: VideoColours = { palette: "ironbow", range: null };
  private readonly recent: ColouredFrame[] = [];
  private lastVideoFrame = -1;
  private pointer: { x: number; y: number } | undefined;
  private mode: "radiometric" | "video" = "radiometric";
  private unpainted = false;
  private readonly offScreen: () => boolean;

  /** `mediaChanged` runs when the panel starts or stops needing the camera's video (the video view). */
  constructor(
    private camera: CameraMsg,
    private readonly mediaChanged: () => void,
  ) {
    this.settings = loadSettings(camera.id, globalThis.localStorage);
    this.lut = paletteLut(this.settings.palette);
    this.root = el("section", "panel thermal");
    this.root.dataset.camera = camera.id;
    this.offScreen = whileOffScreen(this.root, () => {
      this.unpainted = true;
      this.lastVideoFrame = -1;
    });
    const head = el("div", "panel-head");
    const title = el("h2", undefined, camera.name);
    this.state = el("span", "pill pill-wait");
    const controls = el("div", "thermal-controls");

    this.paletteSelect = el("select");
    this.paletteSelect.dataset.control = "palette";
    for (const p of PALETTES) this.paletteSelect.append(new Option(p, p));
    this.paletteSelect.value = this.settings.palette;
    this.paletteSelect.addEventListener("change", () => this.setPalette(this.paletteSelect.value as Palette));
    this.paletteLabel = this.labelled("palette", this.paletteSelect);

    this.rangeSelect = el("select");
    this.rangeSelect.dataset.control = "range";
    for (const m of RANGE_MODES) this.rangeSelect.append(new Option(m, m));
    this.rangeSelect.value = this.settings.mode;
    this.rangeSelect.addEventListener("change", () => this.setRangeMode(this.rangeSelect.value as RangeMode));
    this.rangeLabel = this.labelled("range", this.rangeSelect);

    this.toggle = el("div", "range");
    this.toggle.setAttribute("role", "group");
    for (const m of ["radiometric", "video"] as const) {
      const b = el("button", m === this.mode ? "active" : undefined);
      b.type = "button";
      b.dataset.mode = m;
      b.setAttribute("aria-pressed", String(m === this.mode));
      b.addEventListener("click", () => this.setMode(m));
      this.modeButtons.push(b);
      this.toggle.append(b);
    }
    controls.append(this.paletteLabel.parentElement!, this.rangeLabel.parentElement!, this.toggle);

    this.fixedForm = el("form", "thermal-fixed");
    this.fixedMin = el("input");
    this.fixedMax = el("input");
    this.fixedMinLabel = this.labelled("fixed-min", this.fixedMin);
    this.fixedMaxLabel = this.labelled("fixed-max", this.fixedMax);
    for (const input of [this.fixedMin, this.fixedMax]) {
      input.inputMode = "decimal";
      input.size = 6;
    }
    this.fixedApply = el("button");
    this.fixedApply.type = "submit";
    this.rangeError = el("p", "thermal-range-error");
    this.rangeError.setAttribute("role", "alert");
    this.fixedForm.append(this.fixedMinLabel.parentElement!, this.fixedMaxLabel.parentElement!, this.fixedApply, this.rangeError);
    this.fixedForm.addEventListener("submit", (e) => {
      e.preventDefault();
      this.applyFixed();
    });

    const titleWrap = el("div", "thermal-title");
    titleWrap.append(title, this.state);
    head.append(titleWrap, controls);

    const stage = el("div", "thermal-stage");
    this.canvas = el("canvas", "thermal-canvas");
    this.videoPicture.width = 0; // no video picture yet
    this.canvas.width = camera.width;
    this.canvas.height = camera.height;
    this.video = el("video", "thermal-video");
    this.video.muted = true;
    this.video.playsInline = true;
    this.video.autoplay = true;
    // The video is only the source of the picture: the canvas above it shows it re-coloured.
    stage.append(this.video, this.canvas, this.overlay.root);
    this.readout = el("div", "thermal-readout", "");
    const side = el("div", "thermal-side");
    this.legend = el("canvas", "thermal-legend");
    this.legend.width = 16;
    this.legend.height = 256;
    this.legendHi = el("span", "legend-label legend-hi");
    this.legendLo = el("span", "legend-label legend-lo");
    this.legendMode = el("span", "legend-mode");
    this.stats = el("div", "thermal-stats");
    side.append(this.legendHi, this.legend, this.legendLo, this.legendMode, this.stats);
    const body = el("div", "thermal-body");
    body.append(stage, side);
    this.roiList = el("ul", "thermal-rois");
    this.root.append(head, this.fixedForm, body, this.readout, this.roiList);
    this.root.dataset.mode = this.mode;
    this.showFixedForm();

    this.canvas.addEventListener("mousemove", (e) => {
      const r = this.canvas.getBoundingClientRect();
      this.pointer = { x: (e.clientX - r.left) / r.width, y: (e.clientY - r.top) / r.height };
      this.showPointer();
    });
    this.canvas.addEventListener("mouseleave", () => {
      this.pointer = undefined;
      this.showPointer();
    });
    this.drawLegend();
    effect(() => {
      void language.value;
      this.relabel();
    });
  }

  /** A control with a visible label beside it, wrapped so that the two stay together. */
  private labelled(name: string, control: HTMLElement): HTMLElement {
    const id = `thermal-${this.camera.id}-${name}`;
    control.id = id;
    const label = el("label");
    label.htmlFor = id;
    const wrap = el("span", "thermal-field");
    wrap.append(label, control);
    return label;
  }

  /** Every text of the panel in the operator's language. */
  private relabel(): void {
    this.paletteLabel.textContent = t("thermal.palette");
    for (const option of this.paletteSelect.options) option.textContent = t(`thermal.palette.${option.value as Palette}`);
    this.rangeLabel.textContent = t("thermal.range");
    for (const option of this.rangeSelect.options) option.textContent = t(`thermal.range.${option.value as RangeMode}`);
    this.toggle.setAttribute("aria-label", t("thermal.view"));
    for (const b of this.modeButtons) {
      b.textContent = t(b.dataset.mode === "video" ? "thermal.mode.video" : "thermal.mode.radiometric");
      if (b.dataset.mode === "video") b.title = t("thermal.mode.videoHint");
    }
    this.fixedMinLabel.textContent = t("thermal.range.min");
    this.fixedMaxLabel.textContent = t("thermal.range.max");
    this.fixedApply.textContent = t("thermal.range.apply");
    this.rangeError.textContent = this.rangeErrorKey ? t(this.rangeErrorKey) : "";
    this.roiList.setAttribute("aria-label", t("thermal.rois"));
    this.showState();
    this.showReadings();
    // The labels on the picture too, for a camera whose frames have stopped.
    if (this.frame) this.overlay.update(this.frame, this.camera.rois, (c) => temperature(c));
  }

  update(camera: CameraMsg): void {
    this.camera = camera;
    this.root.dataset.stale = String(camera.stale);
    this.showState();
  }

  /** How the gateway colours its video, from the telemetry snapshot. */
  setVideoColours(colours: VideoColours): void {
    if (colours.palette === this.videoColours.palette && String(colours.range) === String(this.videoColours.range)) return;
    this.videoColours = colours;
    this.videoRange = undefined;
  }

  /** With the gateway gone the last picture stays, greyed, and nothing claims to be live. */
  setLinkLost(lost: boolean): void {
    this.root.dataset.link = lost ? "lost" : "up";
    this.showState();
  }

  private showState(): void {
    if (!this.root.dataset.stale) {
      this.state.textContent = t("thermal.waiting");
      return;
    }
    showLiveState(this.state, this.root.dataset.link === "lost", this.camera.stale, t("thermal.offline"));
  }

  setVideo(stream: MediaStream): void {
    this.video.srcObject = stream;
    void this.video.play().catch(() => {});
  }

  /** Every frame moves the colour ranges on; the newest is shown at the next paint. */
  onFrame(frame: WireFrame): void {
    this.frame = frame;
    this.unpainted = true;
    this.range = this.nextRange(frame);
    const fixed = this.videoColours.range;
    this.videoRange = fixed ? { lo: fixed[0], hi: fixed[1], ts: frame.ts } : followRange(this.videoRange, frame.min, frame.max, frame.ts, VIDEO_RANGE_TAU_MS);
    this.recent.push({ celsius: frame.celsius, width: frame.width, height: frame.height, lo: this.videoRange.lo, hi: this.videoRange.hi });
    if (this.recent.length > RECENT_FRAMES) this.recent.shift();
  }

  /** On the page's paint tick: the newest frame, if it is not shown yet, with its readings. */
  paint(): void {
    const frame = this.frame;
    if (!this.unpainted || !frame || !this.range) return;
    this.unpainted = false;
    this.root.dataset.seq = String(frame.seq);
    this.root.dataset.ts = String(frame.ts);
    this.root.dataset.rangeLo = this.range.lo.toFixed(2);
    this.root.dataset.rangeHi = this.range.hi.toFixed(2);
    this.showReadings();
    if (this.mode === "radiometric") this.draw();
  }

  private nextRange(f: WireFrame): ColourRange {
    const { mode, fixed } = this.settings;
    if (mode === "fixed" && fixed) return { lo: fixed[0], hi: fixed[1], ts: f.ts };
    if (mode === "smooth") return followRange(this.range, f.min, f.max, f.ts, SLOW_RANGE_TAU_MS);
    return frameRange(f.min, f.max, f.ts);
  }

  /** The temperature at pixel (x, y) of the last frame, as shown under the pointer. */
  temperatureAt(x: number, y: number): number | undefined {
    const f = this.frame;
    return f ? f.celsius[y * f.width + x] : undefined;
  }

  /** The video is needed only in the video view: the temperatures view draws the radiometric frames. */
  get wantsVideo(): boolean {
    return this.mode === "video";
  }

  private setMode(m: "radiometric" | "video"): void {
    this.mode = m;
    this.root.dataset.mode = m;
    this.mediaChanged();
    for (const b of this.modeButtons) {
      b.classList.toggle("active", b.dataset.mode === m);
      b.setAttribute("aria-pressed", String(b.dataset.mode === m));
    }
    if (m === "video") {
      void this.video.play().catch(() => {});
      this.lastVideoFrame = -1;
      requestAnimationFrame(() => this.videoLoop());
    } else {
      this.draw();
    }
  }

  /** In video mode: each new video frame re-coloured into the picture, then the overlays. */
  private videoLoop(): void {
    if (this.mode !== "video") return;
    // By the video's clock, at most 12 times a second: the count of painted frames stalls while the
    // canvas covers the video (Chromium) or in headless Firefox, which paints none.
    const shown = Math.floor(this.video.currentTime * 12);
    if (shown !== this.lastVideoFrame && !this.offScreen() && this.video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA && this.video.videoWidth > 0) {
      this.lastVideoFrame = shown;
      this.recolourVideo();
      this.draw();
    }
    requestAnimationFrame(() => this.videoLoop());
  }

  private recolourVideo(): void {
    // Re-coloured at the sensor's size, each pixel sampled at its sensor pixel's centre in the video:
    // smoothing would blend the palette's colours of neighbours before they are mapped back.
    const w = Math.min(this.frame?.width ?? this.canvas.width, this.video.videoWidth);
    const h = Math.min(this.frame?.height ?? this.canvas.height, this.video.videoHeight);
    const pic = this.videoPicture;
    if (pic.width !== w || pic.height !== h) {
      pic.width = w;
      pic.height = h;
    }
    const ctx = pic.getContext("2d", { willReadFrequently: true })!;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.video, 0, 0, w, h);
    const img = ctx.getImageData(0, 0, w, h);
    const gatewayPalette = PALETTES.includes(this.videoColours.palette as Palette) ? (this.videoColours.palette as Palette) : "ironbow";
    const inverse = inverseOf(gatewayPalette);
    const to = this.range;
    let remap = remapIndices(0, 1, 0, 1);
    if (to && this.recent.length) {
      const { width: fw, height: fh } = this.recent[this.recent.length - 1];
      const indexAt = (x: number, y: number) => {
        const o = (Math.floor(((y + 0.5) / fh) * h) * w + Math.floor(((x + 0.5) / fw) * w)) * 4;
        return inverse[colourKey(img.data[o], img.data[o + 1], img.data[o + 2])];
      };
      const from = this.recent[matchFrame(this.recent, indexAt)];
      remap = remapIndices(from.lo, from.hi, to.lo, to.hi);
    }
    recolour(img.data, inverse, remap, this.lut);
    ctx.putImageData(img, 0, 0);
  }

  private setPalette(p: Palette): void {
    this.lut = paletteLut(p);
    this.settings = { ...this.settings, palette: p };
    saveSettings(this.camera.id, this.settings, globalThis.localStorage);
    this.drawLegend();
    this.redraw();
  }

  private setRangeMode(mode: RangeMode): void {
    if (mode === "fixed" && !this.settings.fixed) {
      // A first lock holds the range shown now, rounded, until the operator types another.
      const r = this.range ?? { lo: 20, hi: 40 };
      this.settings = { ...this.settings, fixed: [Math.floor(r.lo), Math.max(Math.ceil(r.hi), Math.floor(r.lo) + 1)] };
    }
    this.settings = { ...this.settings, mode };
    saveSettings(this.camera.id, this.settings, globalThis.localStorage);
    this.range = undefined;
    this.showFixedForm();
    this.refreshRange();
  }

  private applyFixed(): void {
    const parsed = parseFixedRange(this.fixedMin.value, this.fixedMax.value);
    if ("error" in parsed) {
      this.rangeErrorKey = parsed.error;
      this.rangeError.textContent = t(parsed.error);
      for (const input of [this.fixedMin, this.fixedMax]) input.setAttribute("aria-invalid", "true");
      return;
    }
    this.settings = { ...this.settings, mode: "fixed", fixed: parsed.range };
    saveSettings(this.camera.id, this.settings, globalThis.localStorage);
    this.showFixedForm();
    this.refreshRange();
  }

  private showFixedForm(): void {
    const fixed = this.settings.mode === "fixed" ? this.settings.fixed : null;
    this.fixedForm.hidden = !fixed;
    this.rangeErrorKey = undefined;
    this.rangeError.textContent = "";
    for (const input of [this.fixedMin, this.fixedMax]) input.removeAttribute("aria-invalid");
    if (fixed) {
      this.fixedMin.value = formatValue(fixed[0]);
      this.fixedMax.value = formatValue(fixed[1]);
    }
  }

  /** After a change of range mode: the range from the last frame again, and the picture with it. */
  private refreshRange(): void {
    if (this.frame) {
      this.range = this.nextRange(this.frame);
      this.root.dataset.rangeLo = this.range.lo.toFixed(2);
      this.root.dataset.rangeHi = this.range.hi.toFixed(2);
    }
    this.showReadings();
    this.redraw();
  }

  private redraw(): void {
    if (this.mode === "video") this.lastVideoFrame = -1;
    else this.draw();
  }

  private drawLegend(): void {
    drawPaletteBar(this.legend, this.lut);
  }

  /** The legend's range, the frame's statistics and each region's readings, in words. */
  private showReadings(): void {
    setText(this.legendMode, t(`thermal.range.${this.settings.mode}`));
    const r = this.range;
    setText(this.legendHi, r ? temperature(r.hi) : "");
    setText(this.legendLo, r ? temperature(r.lo) : "");
    const f = this.frame;
    if (!f) return;
    // Written into the same elements frame after frame: rebuilding them would lay the page out each time.
    const stats = [t("thermal.stat.max", { v: temperature(f.max) }), t("thermal.stat.mean", { v: temperature(f.mean) }), t("thermal.stat.min", { v: temperature(f.min) })];
    fill(this.stats, stats.length, () => el("div")).forEach((line, i) => setText(line, stats[i]));
    const items = fill(this.roiList, this.camera.rois.length, () => el("li"));
    this.camera.rois.forEach((roi, i) => {
      const { max, mean } = roiStats(f, roi);
      setText(items[i], t("thermal.roi", { name: roi.name, max: temperature(max), mean: temperature(mean) }));
      items[i].dataset.roi = roi.name;
      items[i].dataset.max = max.toFixed(2);
      items[i].dataset.mean = mean.toFixed(2);
    });
    this.showPointer();
  }

  private showPointer(): void {
    const f = this.frame;
    if (f && this.pointer) {
      const px = Math.min(f.width - 1, Math.max(0, Math.floor(this.pointer.x * f.width)));
      const py = Math.min(f.height - 1, Math.max(0, Math.floor(this.pointer.y * f.height)));
      setText(this.readout, t("thermal.readout", { t: temperature(f.celsius[py * f.width + px], 2), x: px, y: py }));
    } else {
      setText(this.readout, t("thermal.pointHint"));
    }
  }

  /** The picture (radiometric frame or re-coloured video), then the regions and the hottest spot. */
  private draw(): void {
    if (this.offScreen()) return;
    const f = this.frame;
    if (f && (this.canvas.width !== f.width || this.canvas.height !== f.height)) [this.canvas.width, this.canvas.height] = [f.width, f.height];
    const ctx = this.canvas.getContext("2d")!;
    if (this.mode === "video") {
      if (this.videoPicture.width > 0) ctx.drawImage(this.videoPicture, 0, 0, this.canvas.width, this.canvas.height);
    } else if (f && this.range) {
      paintPixels(ctx, f, this.range, this.lut);
    }
    if (!f) return;
    this.overlay.update(f, this.camera.rois, (c) => temperature(c));
    this.showPointer();
  }
}
