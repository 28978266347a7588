import type { ClockJump } from "../../common/clock.js";

/** GET /api/status: what an operator should know about the gateway itself. */
export interface StatusMsg {
  clock: ClockStatusMsg;
  /** The writers that cannot write to the database now (a full or failing disk), and since when. */
  storage: StorageFailureMsg[];
}

export interface StorageFailureMsg {
  writer: string;
  /** Epoch ms. */
  since: number;
  error: string;
}

/** Whether the gateway's wall clock can be believed. */
export interface ClockStatusMsg {
  /** true: synchronised (NTP); false: not (yet); null: this system cannot say. */
  synchronized: boolean | null;
  /** How that was found out. */
  via: "timesyncd" | "timedatectl" | "none";
  /** The gateway's wall clock when asked, epoch ms. */
  now: number;
  /** Wall-clock jumps seen since the gateway started, and the last one. */
  jumps: number;
  lastJump: ClockJump | null;
}
