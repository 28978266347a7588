import type { WireFrame } from "../../gateway/protocol/thermal.js";
import type { CameraMsg } from "../../gateway/protocol/telemetry.js";
import { fill, setAttributes, setText, svg } from "./format.js";
import { roiStats } from "./thermalDraw.js";

type Roi = CameraMsg["rois"][number];

/** Overlay units per sensor pixel: lines and labels keep the proportions they have on a 16× picture, at any size on screen. */
const UNITS = 16;

function setLabel(label: SVGTextElement, text: string, x: number, y: number): void {
  setText(label, text);
  setAttributes(label, { x: x.toFixed(1), y: y.toFixed(1) });
}

/**
 * The regions with their hottest temperature and the frame's hottest spot, as SVG over the picture.
 * The picture's canvas then holds one pixel per sensor pixel (the browser scales it smoothly): a canvas
 * drawn at 16× was handed to the compositor, 0.8 MB a time, on every frame, and its text was blurred
 * by the scaling.
 */
export class ThermalOverlay {
  readonly root = svg("svg", "thermal-overlay");
  private readonly regions = svg("g");
  private readonly hotMark = svg("path", "hot-mark");
  private readonly hotLabel = svg("text");

  constructor() {
    this.root.setAttribute("aria-hidden", "true");
    this.root.append(this.regions, this.hotMark, this.hotLabel);
  }

  update(f: WireFrame, rois: readonly Roi[], temperature: (celsius: number) => string): void {
    setAttributes(this.root, { viewBox: `0 0 ${f.width * UNITS} ${f.height * UNITS}` });
    const regions = fill(this.regions, rois.length, () => {
      const region = svg("g");
      region.append(svg("rect", "roi"), svg("text"));
      return region;
    });
    rois.forEach((roi, i) => {
      const [outline, label] = regions[i].children as unknown as [SVGRectElement, SVGTextElement];
      setAttributes(outline, { x: roi.x * UNITS, y: roi.y * UNITS, width: roi.width * UNITS, height: roi.height * UNITS });
      setLabel(label, `${roi.name} ${temperature(roiStats(f, roi).max)}`, roi.x * UNITS + 4, Math.max(24, roi.y * UNITS - 6));
    });
    const hx = (f.hotX + 0.5) * UNITS;
    const hy = (f.hotY + 0.5) * UNITS;
    setAttributes(this.hotMark, { d: `M${hx + 12},${hy}a12,12 0 1 0 -24,0a12,12 0 1 0 24,0M${hx - 20},${hy}h40M${hx},${hy - 20}v40` });
    setLabel(this.hotLabel, temperature(f.max), hx + 16, hy - 16);
  }
}
