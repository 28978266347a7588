import { paletteLut } from "../../gateway/protocol/thermal.js";
import type { MicMsg } from "../../gateway/protocol/telemetry.js";
import type { SpectrumMsg } from "../../gateway/protocol/spectrum.js";
import { effect } from "@preact/signals";
import { language, t } from "./app/i18n.js";
import { el, formatValue, showLiveState } from "./format.js";

const HISTORY = 300;

/** One microphone: listen button, level meter and a scrolling spectrogram. */
export class MicPanel {
  readonly root: HTMLElement;
  private readonly audio: HTMLAudioElement;
  private readonly listen: HTMLButtonElement;
  private readonly hint: HTMLElement;
  private readonly meter: HTMLElement;
  private readonly meterText: HTMLElement;
  private readonly state: HTMLElement;
  private stale = true;
  private readonly spectrogram: HTMLCanvasElement;
  private readonly lut = paletteLut("ironbow");
  columns = 0;

  constructor(mic: MicMsg) {
    this.root = el("section", "panel mic");
    this.root.dataset.mic = mic.id;
    const head = el("div", "panel-head");
    const title = el("div", "thermal-title");
    this.state = el("span", "pill pill-wait", t("thermal.waiting"));
    title.append(el("h2", undefined, mic.name), this.state);
    this.listen = el("button", "btn", t("mic.listen"));
    this.listen.type = "button";
    this.listen.setAttribute("aria-pressed", "false");
    this.listen.addEventListener("click", () => this.toggle());
    head.append(title, this.listen);
    this.hint = el("p", "muted hint", "");
    const meterWrap = el("div", "meter");
    this.meter = el("div", "meter-fill");
    meterWrap.append(this.meter);
    this.meterText = el("span", "meter-text", "– dBFS");
    const levels = el("div", "mic-levels");
    levels.append(meterWrap, this.meterText);
    this.spectrogram = el("canvas", "spectrogram");
    this.spectrogram.width = HISTORY;
    this.spectrogram.height = 128;
    const axis = el("div", "spectrogram-axis");
    axis.append(el("span", undefined, "8 kHz"), el("span", undefined, "4 kHz"), el("span", undefined, "0"));
    const specWrap = el("div", "spectrogram-wrap");
    specWrap.append(this.spectrogram, axis);
    this.audio = el("audio");
    this.audio.muted = true;
    this.root.append(head, levels, specWrap, this.hint, this.audio);
    effect(() => {
      void language.value;
      this.listen.textContent = t(this.audio.muted ? "mic.listen" : "mic.mute");
      if (this.hint.textContent) this.hint.textContent = t("mic.blocked");
      if (this.root.dataset.stale !== undefined) this.showState();
    });
  }

  update(mic: MicMsg): void {
    this.stale = mic.stale;
    this.root.dataset.stale = String(mic.stale);
    this.showState();
  }

  setLinkLost(lost: boolean): void {
    this.root.dataset.link = lost ? "lost" : "up";
    this.showState();
  }

  private showState(): void {
    showLiveState(this.state, this.root.dataset.link === "lost", this.stale, t("mic.noSound"));
  }

  setStream(stream: MediaStream): void {
    this.audio.srcObject = stream;
  }

  /** The level channel's latest value, from telemetry. */
  level(db: number): void {
    const pct = Math.max(0, Math.min(100, ((db + 80) / 80) * 100));
    this.meter.style.width = `${pct}%`;
    this.meter.dataset.loud = String(db > -12);
    this.meterText.textContent = `${formatValue(db)} dBFS`;
  }

  column(msg: SpectrumMsg): void {
    this.columns++;
    this.root.dataset.columns = String(this.columns);
    const ctx = this.spectrogram.getContext("2d")!;
    ctx.drawImage(this.spectrogram, -1, 0);
    const h = this.spectrogram.height;
    const img = ctx.createImageData(1, h);
    for (let y = 0; y < h; y++) {
      const bin = Math.floor(((h - 1 - y) / h) * msg.bins.length);
      const k = msg.bins[bin] * 3;
      img.data.set([this.lut[k], this.lut[k + 1], this.lut[k + 2], 255], y * 4);
    }
    ctx.putImageData(img, HISTORY - 1, 0);
  }

  private toggle(): void {
    const on = this.audio.muted;
    this.audio.muted = !on;
    this.listen.textContent = t(on ? "mic.mute" : "mic.listen");
    this.listen.setAttribute("aria-pressed", String(on));
    this.root.dataset.listening = String(on);
    if (on) {
      this.audio.play().then(
        () => (this.hint.textContent = ""),
        () => (this.hint.textContent = t("mic.blocked")),
      );
    }
  }
}
