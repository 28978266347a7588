import { colourise, paletteLut, PALETTES, type Palette, type WireFrame } from "../../gateway/protocol/thermal.js";
import type { CameraMsg } from "../../gateway/protocol/telemetry.js";
import { t } from "./app/i18n.js";
import { el, showLiveState } from "./format.js";
import { temperatureUnit } from "./app/state.js";
import { CELSIUS, formatShown, shownUnit } from "./units.js";

const SCALE = 16;

/** Frames are in °C: a temperature in the unit the user chose, with its symbol. */
const temperature = (celsius: number, decimals = 1) => `${formatShown(celsius, CELSIUS, temperatureUnit.value, decimals)} ${shownUnit(CELSIUS, temperatureUnit.value)}`;

/** One camera: exact temperatures drawn from radiometric frames, or the gateway's video track. */
export class ThermalPanel {
  readonly root: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly video: HTMLVideoElement;
  private readonly readout: HTMLElement;
  private readonly legend: HTMLCanvasElement;
  private readonly legendLo: HTMLElement;
  private readonly legendHi: HTMLElement;
  private readonly stats: HTMLElement;
  private readonly state: HTMLElement;
  private readonly offscreen = document.createElement("canvas");
  private lut = paletteLut("ironbow");
  private frame: WireFrame | undefined;
  private pointer: { x: number; y: number } | undefined;
  private mode: "radiometric" | "video" = "radiometric";
  framesShown = 0;

  constructor(private camera: CameraMsg) {
    this.root = el("section", "panel thermal");
    this.root.dataset.camera = camera.id;
    const head = el("div", "panel-head");
    const title = el("h2", undefined, camera.name);
    this.state = el("span", "pill pill-wait", "waiting");
    const controls = el("div", "thermal-controls");
    const select = el("select");
    select.setAttribute("aria-label", "Palette");
    for (const p of PALETTES) select.append(new Option(p, p));
    select.addEventListener("change", () => this.setPalette(select.value as Palette));
    const toggle = el("div", "range");
    for (const m of ["radiometric", "video"] as const) {
      const b = el("button", m === this.mode ? "active" : undefined, m === "radiometric" ? "Temperatures" : "Video");
      b.type = "button";
      b.dataset.mode = m;
      b.addEventListener("click", () => {
        this.mode = m;
        for (const x of toggle.children) x.classList.toggle("active", x === b);
        this.root.dataset.mode = m;
        if (m === "video") void this.video.play().catch(() => {});
      });
      toggle.append(b);
    }
    controls.append(select, toggle);
    const titleWrap = el("div", "thermal-title");
    titleWrap.append(title, this.state);
    head.append(titleWrap, controls);

    const stage = el("div", "thermal-stage");
    this.canvas = el("canvas", "thermal-canvas");
    this.video = el("video", "thermal-video");
    this.video.muted = true;
    this.video.playsInline = true;
    this.video.autoplay = true;
    stage.append(this.canvas, this.video);
    this.readout = el("div", "thermal-readout", "");
    const side = el("div", "thermal-side");
    this.legend = el("canvas", "thermal-legend");
    this.legend.width = 16;
    this.legend.height = 256;
    this.legendHi = el("span", "legend-label");
    this.legendLo = el("span", "legend-label");
    this.stats = el("div", "thermal-stats");
    side.append(this.legendHi, this.legend, this.legendLo, this.stats);
    const body = el("div", "thermal-body");
    body.append(stage, side);
    this.root.append(head, body, this.readout);
    this.root.dataset.mode = this.mode;

    this.canvas.addEventListener("mousemove", (e) => {
      const r = this.canvas.getBoundingClientRect();
      this.pointer = { x: (e.clientX - r.left) / r.width, y: (e.clientY - r.top) / r.height };
      this.draw();
    });
    this.canvas.addEventListener("mouseleave", () => {
      this.pointer = undefined;
      this.draw();
    });
    this.drawLegend();
  }

  update(camera: CameraMsg): void {
    this.camera = camera;
    this.root.dataset.stale = String(camera.stale);
    this.showState();
  }

  /** With the gateway gone the last picture stays, greyed, and nothing claims to be live. */
  setLinkLost(lost: boolean): void {
    this.root.dataset.link = lost ? "lost" : "up";
    this.showState();
  }

  private showState(): void {
    showLiveState(this.state, this.root.dataset.link === "lost", this.camera.stale, t("thermal.offline"));
  }

  setVideo(stream: MediaStream): void {
    this.video.srcObject = stream;
    void this.video.play().catch(() => {});
  }

  onFrame(frame: WireFrame): void {
    this.frame = frame;
    this.framesShown++;
    this.root.dataset.seq = String(frame.seq);
    this.draw();
  }

  /** The temperature at pixel (x, y) of the last frame, as shown under the pointer. */
  temperatureAt(x: number, y: number): number | undefined {
    const f = this.frame;
    return f ? f.celsius[y * f.width + x] : undefined;
  }

  private setPalette(p: Palette): void {
    this.lut = paletteLut(p);
    this.drawLegend();
    this.draw();
  }

  private drawLegend(): void {
    const ctx = this.legend.getContext("2d")!;
    const img = ctx.createImageData(1, 256);
    for (let i = 0; i < 256; i++) {
      const k = (255 - i) * 3;
      img.data.set([this.lut[k], this.lut[k + 1], this.lut[k + 2], 255], i * 4);
    }
    const tmp = document.createElement("canvas");
    tmp.width = 1;
    tmp.height = 256;
    tmp.getContext("2d")!.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(tmp, 0, 0, 16, 256);
  }

  private draw(): void {
    const f = this.frame;
    if (!f) return;
    const { width: w, height: h } = f;
    if (this.offscreen.width !== w || this.offscreen.height !== h) {
      this.offscreen.width = w;
      this.offscreen.height = h;
    }
    if (this.canvas.width !== w * SCALE || this.canvas.height !== h * SCALE) {
      this.canvas.width = w * SCALE;
      this.canvas.height = h * SCALE;
    }
    const octx = this.offscreen.getContext("2d")!;
    const img = octx.createImageData(w, h);
    colourise(f.celsius, f.min, Math.max(f.max, f.min + 1), this.lut, img.data, 4);
    octx.putImageData(img, 0, 0);
    const ctx = this.canvas.getContext("2d")!;
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(this.offscreen, 0, 0, w * SCALE, h * SCALE);

    ctx.font = "600 22px system-ui, sans-serif";
    ctx.lineWidth = 2;
    for (const roi of this.camera.rois) {
      ctx.strokeStyle = "#ffffffcc";
      ctx.setLineDash([8, 6]);
      ctx.strokeRect(roi.x * SCALE, roi.y * SCALE, roi.width * SCALE, roi.height * SCALE);
      ctx.setLineDash([]);
      let max = -Infinity;
      for (let y = roi.y; y < roi.y + roi.height && y < h; y++) for (let x = roi.x; x < roi.x + roi.width && x < w; x++) max = Math.max(max, f.celsius[y * w + x]);
      this.label(ctx, `${roi.name} ${temperature(max)}`, roi.x * SCALE + 4, roi.y * SCALE - 6);
    }
    const hx = (f.hotX + 0.5) * SCALE;
    const hy = (f.hotY + 0.5) * SCALE;
    ctx.strokeStyle = "#fff";
    ctx.beginPath();
    ctx.arc(hx, hy, 12, 0, Math.PI * 2);
    ctx.moveTo(hx - 20, hy);
    ctx.lineTo(hx + 20, hy);
    ctx.moveTo(hx, hy - 20);
    ctx.lineTo(hx, hy + 20);
    ctx.stroke();
    this.label(ctx, temperature(f.max), hx + 16, hy - 16);

    this.legendHi.textContent = temperature(f.max);
    this.legendLo.textContent = temperature(f.min);
    this.stats.replaceChildren(
      el("div", undefined, `${t("channel.max")} ${formatShown(f.max, CELSIUS, temperatureUnit.value)}`),
      el("div", undefined, `${t("channel.mean")} ${formatShown(f.mean, CELSIUS, temperatureUnit.value)}`),
      el("div", undefined, `${t("channel.min")} ${formatShown(f.min, CELSIUS, temperatureUnit.value)}`),
    );
    if (this.pointer) {
      const px = Math.min(w - 1, Math.max(0, Math.floor(this.pointer.x * w)));
      const py = Math.min(h - 1, Math.max(0, Math.floor(this.pointer.y * h)));
      this.readout.textContent = t("thermal.at", { value: temperature(f.celsius[py * w + px], 2), x: px, y: py });
    } else {
      this.readout.textContent = t("thermal.pointAt");
    }
  }

  private label(ctx: CanvasRenderingContext2D, text: string, x: number, y: number): void {
    ctx.fillStyle = "#000a";
    const m = ctx.measureText(text);
    ctx.fillRect(x - 3, y - 20, m.width + 6, 26);
    ctx.fillStyle = "#fff";
    ctx.fillText(text, x, y);
  }
}
