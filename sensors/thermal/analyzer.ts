import type { CameraInfo, SourceSink } from "../types.js";
import type { Logger } from "../../common/logger.js";
import { frameStats, roiFits, type ThermalFrame } from "./frame.js";

/**
 * Hands frames to the sink and derives channels from them, so charts and alert rules see a
 * camera like any temperature: thermal.CAMERA.max, thermal.CAMERA.hotspot_x/y, and per region
 * thermal.CAMERA.REGION.min/mean/max.
 */
export class ThermalAnalyzer {
  private camera: CameraInfo;
  private warnedRois = new Set<string>();

  constructor(
    camera: CameraInfo,
    private readonly sink: SourceSink,
    private readonly log: Logger,
  ) {
    this.camera = camera;
    sink.camera(camera);
    const base = `thermal.${camera.id}`;
    const declare = (id: string, name: string, unit = "°C") => sink.channel({ id, name, unit, source: camera.source, staleAfterMs: camera.staleAfterMs });
    declare(`${base}.max`, `${camera.name} max`);
    for (const roi of camera.rois) {
      for (const stat of ["min", "mean", "max"] as const) declare(`${base}.${roi.name}.${stat}`, `${camera.name} ${roi.name} ${stat}`);
    }
  }

  frame(frame: ThermalFrame): void {
    if (frame.width !== this.camera.width || frame.height !== this.camera.height) {
      this.log.warn({ camera: this.camera.id, from: `${this.camera.width}×${this.camera.height}`, to: `${frame.width}×${frame.height}` }, "camera frame size changed");
      this.camera = { ...this.camera, width: frame.width, height: frame.height };
      this.sink.camera(this.camera);
    }
    this.sink.frame(this.camera.id, frame);
    const base = `thermal.${this.camera.id}`;
    this.sink.reading({ channel: `${base}.max`, value: round(frameStats(frame).max), ts: frame.ts });
    for (const roi of this.camera.rois) {
      if (!roiFits(roi, frame.width, frame.height)) {
        if (!this.warnedRois.has(roi.name)) this.log.warn({ camera: this.camera.id, roi: roi.name }, "region lies outside the frame; skipped");
        this.warnedRois.add(roi.name);
        continue;
      }
      const s = frameStats(frame, roi);
      for (const stat of ["min", "mean", "max"] as const) this.sink.reading({ channel: `${base}.${roi.name}.${stat}`, value: round(s[stat]), ts: frame.ts });
    }
  }
}

const round = (v: number) => Math.round(v * 100) / 100;
