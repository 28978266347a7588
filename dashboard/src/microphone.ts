import { paletteLut } from "../../gateway/protocol/thermal.js";
import type { MicMsg } from "../../gateway/protocol/telemetry.js";
import type { SpectrumMsg } from "../../gateway/protocol/spectrum.js";
import { effect } from "@preact/signals";
import { language, t } from "./app/i18n.js";
import { el, formatValue, setText, showLiveState } from "./format.js";
import { whileOffScreen } from "./offScreen.js";

const HISTORY = 300;

/** One microphone: listen button, level meter and a scrolling spectrogram. */
export class MicPanel {
  readonly root: HTMLElement;
  private readonly audio: HTMLAudioElement;
  private readonly listen: HTMLButtonElement;
  private readonly hint: HTMLElement;
  private readonly meter: HTMLElement;
  private readonly meterCover: HTMLElement;
  private readonly meterText: HTMLElement;
  private readonly state: HTMLElement;
  private stale = true;
  private readonly spectrogram: HTMLCanvasElement;
  private readonly lut = paletteLut("ironbow");
  private levelDb: number | undefined;
  /** Columns not drawn yet: those since the last paint tick, or since the panel went off screen. */
  private unpainted: SpectrumMsg[] = [];
  private columns = 0;
  private readonly offScreen: () => boolean;

  /** `mediaChanged` runs when the panel starts or stops needing the microphone's sound (Listen). */
  constructor(
    mic: MicMsg,
    private readonly mediaChanged: () => void,
  ) {
    this.root = el("section", "panel mic");
    this.root.dataset.mic = mic.id;
    this.offScreen = whileOffScreen(this.root);
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
    this.meter = el("div", "meter");
    this.meterCover = el("div", "meter-cover");
    this.meter.append(this.meterCover);
    this.meterText = el("span", "meter-text", "– dBFS");
    const levels = el("div", "mic-levels");
    levels.append(this.meter, this.meterText);
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

  /** The level channel's latest value, from telemetry; shown at the next paint. */
  level(db: number): void {
    this.levelDb = db;
  }

  /** A spectrum column, drawn at the next paint. */
  column(msg: SpectrumMsg): void {
    this.columns++;
    this.unpainted.push(msg);
    if (this.unpainted.length > HISTORY) this.unpainted.shift();
  }

  /** On the page's paint tick: the level and the columns not drawn yet, all in one go (none while off screen). */
  paint(): void {
    if (this.levelDb !== undefined) {
      const db = this.levelDb;
      this.levelDb = undefined;
      const share = Math.max(0, Math.min(1, (db + 80) / 80));
      this.meterCover.style.transform = `scaleX(${(1 - share).toFixed(3)})`;
      const loud = String(db > -12);
      if (this.meter.dataset.loud !== loud) this.meter.dataset.loud = loud;
      setText(this.meterText, `${formatValue(db)} dBFS`);
    }
    if (this.root.dataset.columns !== String(this.columns)) this.root.dataset.columns = String(this.columns);
    const n = this.unpainted.length;
    if (n === 0 || this.offScreen()) return;
    const ctx = this.spectrogram.getContext("2d")!;
    ctx.drawImage(this.spectrogram, -n, 0);
    const h = this.spectrogram.height;
    const img = ctx.createImageData(n, h);
    this.unpainted.forEach((msg, x) => {
      for (let y = 0; y < h; y++) {
        const bin = Math.floor(((h - 1 - y) / h) * msg.bins.length);
        const k = msg.bins[bin] * 3;
        img.data.set([this.lut[k], this.lut[k + 1], this.lut[k + 2], 255], (y * n + x) * 4);
      }
    });
    ctx.putImageData(img, HISTORY - n, 0);
    this.unpainted = [];
  }

  /** The sound is needed only while someone listens: level and spectrogram come on data channels. */
  get wantsAudio(): boolean {
    return !this.audio.muted;
  }

  private toggle(): void {
    const on = this.audio.muted;
    this.audio.muted = !on;
    this.mediaChanged();
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
