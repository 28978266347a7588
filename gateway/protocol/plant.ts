/**
 * The plant view (docs/protocol.md): what each gateway announces on the plant's broker, and what
 * `GET /api/plant/machines` answers. Shared by the gateway and the dashboard, so it imports nothing.
 */

/** Retained on `<prefix>/<id>/machine`, next to `<prefix>/<id>/status` ("online", or "offline" by the last will). */
export interface MachineAnnouncement {
  v: 1;
  kind: "wachter.machine";
  id: string;
  name: string;
  hall: string | null;
  /** Where browsers reach this machine's dashboard. */
  url: string | null;
  version: string;
  /** The machine announces itself at least this often (ms): older news is stale. */
  interval: number;
  at: number;
  alerts: MachineAlert[];
  values: MachineValue[];
}

export interface MachineAlert {
  id: string;
  name: string;
  channel: string;
  severity: "critical" | "warning" | "info";
  state: "pending" | "firing";
  since: number | null;
  ackBy: string | null;
  shelved: boolean;
}

export interface MachineValue {
  id: string;
  name: string;
  unit: string;
  value: number | null;
  decimals: number;
  stale: boolean;
}

/**
 * ok, warning, critical: from the machine's firing, unshelved alerts. offline: its last will said so.
 * unknown: its news is stale, or this gateway has lost the broker (never "ok" on old information;
 * and a broker that goes down sends every client's will, so not "offline" either).
 */
export type MachineState = "critical" | "warning" | "offline" | "unknown" | "ok";

export interface PlantMachineMsg extends Omit<MachineAnnouncement, "v" | "kind"> {
  /**
   * The dashboard URL this plant view's configuration pins for the machine (plant.broker.machines):
   * the only one it acts through, with the user's plant token; null where it is not pinned.
   */
  pinnedUrl: string | null;
  state: MachineState;
  /** The state its last news gave, shown beside "unknown". */
  lastState: MachineState;
  /** When this gateway last heard from it (its clock may be off). */
  heardAt: number;
}

export interface PlantHallMsg {
  hall: string | null;
  counts: Record<MachineState, number>;
}

export interface PlantMsg {
  broker: { state: "up" | "down"; since: number };
  /** Messages on the plant topics that were not a wachter's (malformed, too large, too many machines). */
  ignored: number;
  machines: PlantMachineMsg[];
  halls: PlantHallMsg[];
}
