/**
 * The `telemetry` data channel's message format, version 1 (documented in docs/protocol.md).
 * Shared by the gateway and the dashboard, so it imports nothing.
 */
export const TELEMETRY_VERSION = 1;
export const TELEMETRY_LABEL = "telemetry";

export interface ChannelMsg {
  id: string;
  name: string;
  unit: string;
  source: string;
  staleAfterMs: number;
  /** Decimals to show; absent: the dashboard's default. */
  decimals?: number;
  /** The machine part, for grouping; absent: group by source. */
  group?: string;
  stale: boolean;
  /** [sensor time ms, value, gateway receive time ms] */
  last: [number, number, number] | null;
}

export interface SourceMsg {
  id: string;
  state: "starting" | "up" | "down";
  detail: string;
  since: number;
  readings: number;
  rejects: number;
}

export interface CameraMsg {
  id: string;
  name: string;
  source: string;
  width: number;
  height: number;
  stale: boolean;
  rois: Array<{ name: string; x: number; y: number; width: number; height: number }>;
}

export interface MicMsg {
  id: string;
  name: string;
  source: string;
  stale: boolean;
}

/** How the gateway colours the thermal video: its palette, and its fixed range in °C or null for automatic. */
export interface VideoColours {
  palette: string;
  range: [number, number] | null;
}

/** [channel id, sensor time ms, value] */
export type ReadingTuple = [string, number, number];

export type TelemetryMessage =
  | {
      v: 1;
      t: "snapshot";
      now: number;
      /** plantView: this gateway serves the plant view (GET /api/plant/machines). */
      gateway: { name: string; version: string; timeZone: string; plantView: boolean };
      channels: ChannelMsg[];
      sources: SourceMsg[];
      cameras: CameraMsg[];
      mics: MicMsg[];
      video: VideoColours;
      /** Per channel, the time of the oldest point the `history` chunks that follow will carry. */
      historyFrom: Record<string, number>;
    }
  | { v: 1; t: "camera"; camera: CameraMsg }
  | { v: 1; t: "microphone"; mic: MicMsg }
  | { v: 1; t: "history"; channel: string; ts: number[]; values: number[] }
  | { v: 1; t: "readings"; now: number; r: ReadingTuple[]; dropped?: number }
  | { v: 1; t: "channel"; channel: ChannelMsg }
  | { v: 1; t: "stale"; channel: string; stale: boolean }
  | { v: 1; t: "source"; source: SourceMsg }
  | { v: 1; t: "tick"; now: number };

export function decodeTelemetry(text: string): TelemetryMessage | undefined {
  try {
    const msg = JSON.parse(text) as { v?: unknown; t?: unknown };
    if (msg && msg.v === TELEMETRY_VERSION && typeof msg.t === "string") return msg as TelemetryMessage;
  } catch {
    // Fall through: the caller counts undecodable messages.
  }
  return undefined;
}
