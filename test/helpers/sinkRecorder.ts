import { Hub } from "../../gateway/hub/hub.js";
import type { Logger } from "../../common/logger.js";

export const quietLog: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A real hub plus helpers to ask what arrived, for source integration tests. */
export function recordingHub() {
  const hub = new Hub(quietLog, 1000);
  hub.start(50);
  return {
    hub,
    values: (channel: string) => hub.history(channel)?.values ?? [],
    source: (id: string) => hub.sourceStates().find((s) => s.id === id),
    channel: (id: string) => hub.channelStates().find((c) => c.info.id === id),
  };
}
