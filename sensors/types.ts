import { z } from "zod";
import type { SpectrumColumn } from "./audio/analysis.js";
import type { Roi, ThermalFrame } from "./thermal/frame.js";

/** Channel ids are used in URLs, MQTT topics and metric labels, so keep them to a safe alphabet. */
export const CHANNEL_ID = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$/;

export const readingSchema = z.object({
  channel: z.string().regex(CHANNEL_ID),
  value: z.number().finite(),
  /** Sensor time, milliseconds since the Unix epoch. */
  ts: z.number().finite().positive(),
});
export type Reading = z.infer<typeof readingSchema>;

export interface ChannelInfo {
  id: string;
  name: string;
  unit: string;
  source: string;
  /** A channel with no reading for this long is shown and treated as stale. */
  staleAfterMs: number;
  /** Decimals to show; the dashboard's default (1) when absent. */
  decimals?: number;
  /** The machine part the channel belongs to; the dashboard groups by it (by source when absent). */
  group?: string;
}

export interface CameraInfo {
  id: string;
  name: string;
  source: string;
  width: number;
  height: number;
  rois: Roi[];
  /** No frame for this long: the camera is shown offline. */
  staleAfterMs: number;
}

export interface MicInfo {
  id: string;
  name: string;
  source: string;
  staleAfterMs: number;
}

export type SourceState = "starting" | "up" | "down";

export interface SourceStatus {
  state: SourceState;
  /** Human-readable reason, e.g. the OS error when a device is missing. */
  detail?: string;
}

/** Where a source delivers what it reads. The gateway's hub implements it. */
export interface SourceSink {
  channel(info: ChannelInfo): void;
  reading(reading: Reading): void;
  camera(info: CameraInfo): void;
  frame(camera: string, frame: ThermalFrame): void;
  microphone(info: MicInfo): void;
  /** An RTP packet of a media stream the source encodes itself (a microphone's Opus audio). */
  rtp(stream: string, packet: Buffer): void;
  spectrum(mic: string, column: SpectrumColumn): void;
  status(status: SourceStatus): void;
  /**
   * These channels' device said it is gone (a Sparkplug death certificate) or stopped answering:
   * stale now rather than after their staleAfter. The next reading makes each fresh again.
   */
  offline(channels: string[]): void;
  /** Input that could not be turned into readings; counted and logged by the gateway. */
  reject(reason: string, sample: string): void;
}

export interface Source {
  readonly id: string;
  start(): void;
  stop(): Promise<void>;
}
