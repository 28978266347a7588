import type { Logger } from "../../common/logger.js";

export interface DeviceInfo {
  id: string;
  source: string;
  /** No data for this long: the device is shown offline. */
  staleAfterMs: number;
}

export interface DeviceState<I extends DeviceInfo> {
  info: I;
  stale: boolean;
  /** When data last arrived, on the monotonic clock. */
  lastAt: number | undefined;
}

/**
 * Cameras or microphones: declared by one source, fresh while their data keeps arriving, stale
 * after `staleAfterMs` without. Every change of declaration or freshness is reported.
 */
export class Devices<I extends DeviceInfo> {
  private readonly states = new Map<string, DeviceState<I>>();

  constructor(
    private readonly kind: string,
    private readonly log: Logger,
    private readonly changed: (state: DeviceState<I>) => void,
  ) {}

  list(): Array<DeviceState<I>> {
    return [...this.states.values()].map((s) => ({ ...s }));
  }

  define(info: I): void {
    const existing = this.states.get(info.id);
    if (existing && existing.info.source !== info.source) {
      this.log.error({ [this.kind]: info.id, sources: [existing.info.source, info.source] }, `two sources claim the same ${this.kind}; keeping the first`);
      return;
    }
    const state = existing ?? { info, stale: true, lastAt: undefined };
    state.info = info;
    this.states.set(info.id, state);
    this.changed({ ...state });
  }

  /** Data arrived; false when `source` never declared this device. */
  touch(source: string, id: string, now: number): boolean {
    const state = this.states.get(id);
    if (!state || state.info.source !== source) return false;
    state.lastAt = now;
    if (state.stale) {
      state.stale = false;
      this.changed({ ...state });
    }
    return true;
  }

  checkStale(now: number): void {
    for (const state of this.states.values()) {
      if (!state.stale && state.lastAt !== undefined && now - state.lastAt > state.info.staleAfterMs) {
        state.stale = true;
        this.changed({ ...state });
      }
    }
  }

  removeSource(source: string): void {
    for (const [id, state] of this.states) if (state.info.source === source) this.states.delete(id);
  }
}
