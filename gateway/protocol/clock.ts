import type { ClockJump } from "../../common/clock.js";

/** GET /api/status → `clock`: whether the gateway's wall clock can be believed. */
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
