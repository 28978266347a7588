/**
 * Incident records as the gateway lists them (`GET /api/incidents`) and a record's own files: its
 * `manifest.json` (format `wachter-incident/1`, docs/protocol.md), its spectra and its alert's
 * transitions, with times in ms since the Unix epoch. Shared by the gateway that writes them and
 * the dashboard that shows them. Imports nothing.
 */
export const MANIFEST_FORMAT = "wachter-incident/1";

export interface IncidentManifest {
  format: typeof MANIFEST_FORMAT;
  /** 1 for the record made after the post-roll; each later one adds the firing's newer transitions. */
  version: number;
  /** From version 2: the CID of the version before, held whole as the directory `previous/`. */
  previous: string | null;
  times: string;
  gateway: { name: string; version: string };
  alert: { id: string; rule: string; channel: string; name: string; severity: "critical" | "warning" | "info"; description: string; value: number | null; unit: string };
  firingAt: number;
  /** alert.json: the alert, the rule as it was when it fired, and its transitions. */
  alertFile: string;
  telemetry: {
    from: number;
    to: number;
    step: number;
    columns: string;
    channels: Array<{ id: string; name: string; unit: string; source: string; file: string; points: number }>;
  };
  cameras: {
    from: number;
    to: number;
    interval: number;
    format: string;
    list: Array<{
      id: string;
      name: string;
      width: number;
      height: number;
      unit: "°C";
      rois: Array<{ name: string; x: number; y: number; width: number; height: number }>;
      /** A PNG of the frame nearest the moment it fired, coloured over [lo, hi] °C, with that scale beside it. */
      still: { file: string; ts: number; seq: number; palette: "ironbow"; lo: number; hi: number } | null;
      frames: Array<{ file: string; ts: number; seq: number }>;
    }>;
  };
  microphones: {
    from: number;
    to: number;
    list: Array<{
      id: string;
      name: string;
      clip: { file: string; format: string; firstPacketAt: number; lastPacketAt: number; packets: number } | null;
      spectrum: string | null;
      /** The spectrum as a PNG: a pixel per column and bin, 0 Hz at the bottom, a white column at the moment it fired. */
      spectrogram: string | null;
    }>;
  };
  /** What the size cap left out, in words. */
  omitted: string[];
}

/** A microphone's `sound/ID.spectrum.json`. */
export interface IncidentSpectrum {
  scale: string;
  maxHz: number | null;
  columns: Array<{ ts: number; bins: number[] }>;
}

/** One of the alert's transitions, in `alert.json`. */
export interface IncidentAlertEvent {
  from_state: string;
  to_state: string;
  at: number;
  value: number | null;
  detail: string;
}

export type IncidentStatus = "recording" | "finalised" | "failed";

/** An incident record as `GET /api/incidents` lists it: one row per version. */
export interface IncidentRow {
  id: number;
  alert: string;
  firingAt: number;
  from: number;
  to: number;
  status: IncidentStatus;
  cid: string | null;
  bytes: number | null;
  blocks: number | null;
  finalisedAt: number | null;
  error: string | null;
  /** 1 for the record made after the post-roll; each later version adds the firing's newer transitions. */
  version: number;
  /** The CID of the version before, which this one links to as its directory `previous`. */
  previous: string | null;
  /** Its copy on the plant's IPFS node (incidents.replicate): "pending", "replicated", "retrying: reason" or "failed: reason" (for good); null without replication. */
  replication: string | null;
  /** Who pinned the firing's records (every version), kept beyond retention and the disk budget; null if nobody did. */
  pinnedBy: string | null;
  pinnedAt: number | null;
}
