import { toWall, type Clock } from "../../common/clock.js";
import type { MachineAnnouncement, MachineState, PlantHallMsg, PlantMachineMsg, PlantMsg } from "../protocol/plant.js";
import { PLANT_ID } from "../config/plant.js";
import { announcementSchema } from "./announcement.js";

/** More machines than a plant view is made for are ignored (and counted), so a flood of ids cannot grow memory. */
export const MAX_MACHINES = 1000;
/** News older than this many of the machine's own intervals is stale. */
const STALE_INTERVALS = 3;

type News = Omit<MachineAnnouncement, "v" | "kind">;

interface Entry {
  news: News | undefined;
  status: "online" | "offline" | undefined;
  /** Monotonic: a wall-clock jump neither makes news stale nor keeps stale news fresh. */
  heardMono: number;
}

const ORDER: Record<MachineState, number> = { critical: 0, warning: 1, offline: 2, unknown: 3, ok: 4 };

function alertState(news: News | undefined): MachineState {
  const firing = news?.alerts.filter((a) => a.state === "firing" && !a.shelved) ?? [];
  if (firing.some((a) => a.severity === "critical")) return "critical";
  if (firing.some((a) => a.severity === "warning")) return "warning";
  return "ok";
}

/**
 * The plant's machines as heard on the broker (pure: the MQTT connection feeds it). Topics are
 * `<prefix>/<id>/machine` (a retained announcement) and `<prefix>/<id>/status` (online/offline).
 */
export class MachineDirectory {
  private readonly machines = new Map<string, Entry>();
  private ignoredCount = 0;
  private broker: { state: PlantMsg["broker"]["state"]; sinceMono: number };

  constructor(
    private readonly prefix: string,
    private readonly clock: Clock,
    /** Dashboard URLs by machine id, pinned in this gateway's configuration. */
    private readonly pinned: Record<string, string> = {},
  ) {
    this.broker = { state: "down", sinceMono: clock.mono() };
  }

  get ignored(): number {
    return this.ignoredCount;
  }

  brokerChanged(up: boolean): void {
    const state = up ? "up" : "down";
    if (state !== this.broker.state) this.broker = { state, sinceMono: this.clock.mono() };
  }

  /** Takes one message from the plant topics; false (and counted) when it is not a wachter's. */
  ingest(topic: string, payload: Buffer): boolean {
    const rest = topic.startsWith(`${this.prefix}/`) ? topic.slice(this.prefix.length + 1).split("/") : [];
    const [id, kind] = rest;
    if (rest.length !== 2 || !PLANT_ID.test(id) || (kind !== "machine" && kind !== "status")) return this.ignore();
    // An empty retained message clears the topic: the machine was taken out of the plant.
    if (payload.length === 0) {
      const entry = this.machines.get(id);
      if (entry && kind === "machine") entry.news = undefined;
      if (entry && kind === "status") entry.status = undefined;
      if (entry && !entry.news && !entry.status) this.machines.delete(id);
      return true;
    }
    let update: Partial<Entry>;
    if (kind === "status") {
      const status = payload.toString();
      if (status !== "online" && status !== "offline") return this.ignore();
      update = { status };
    } else {
      const parsed = announcementSchema.safeParse(safeJson(payload));
      if (!parsed.success || parsed.data.id !== id) return this.ignore();
      const { v: _v, kind: _k, ...news } = parsed.data;
      update = { news, heardMono: this.clock.mono() };
    }
    const entry = this.machines.get(id);
    if (!entry) {
      if (this.machines.size >= MAX_MACHINES) return this.ignore();
      this.machines.set(id, { news: undefined, status: undefined, heardMono: this.clock.mono(), ...update });
    } else Object.assign(entry, update);
    return true;
  }

  view(): PlantMsg {
    const now = this.clock.mono();
    const machines: PlantMachineMsg[] = [];
    for (const [id, { news, status, heardMono }] of this.machines) {
      const lastState = status === "offline" ? "offline" : alertState(news);
      const stale = !news || now - heardMono > STALE_INTERVALS * news.interval;
      // Without the broker nothing is known, an "offline" included: a broker going down sends every client's will.
      const state: MachineState = this.broker.state === "down" ? "unknown" : lastState === "offline" ? "offline" : stale ? "unknown" : lastState;
      // A machine only heard of by its status (its announcement not yet retained) is listed by its id.
      const known = news ?? { id, name: id, hall: null, url: null, version: "", interval: 0, at: 0, alerts: [], values: [] };
      machines.push({ ...known, pinnedUrl: this.pinned[id] ?? null, state, lastState, heardAt: toWall(this.clock, heardMono) });
    }
    machines.sort((a, b) => ORDER[a.state] - ORDER[b.state] || ORDER[a.lastState] - ORDER[b.lastState] || unacked(b) - unacked(a) || oldestAlert(a) - oldestAlert(b) || a.name.localeCompare(b.name));
    return { broker: { state: this.broker.state, since: toWall(this.clock, this.broker.sinceMono) }, ignored: this.ignoredCount, machines, halls: halls(machines) };
  }

  private ignore(): false {
    this.ignoredCount++;
    return false;
  }
}

const unacked = (m: PlantMachineMsg) => m.alerts.filter((a) => a.state === "firing" && !a.ackBy && !a.shelved).length;
const oldestAlert = (m: PlantMachineMsg) => Math.min(Infinity, ...m.alerts.map((a) => a.since ?? Infinity));

function halls(machines: PlantMachineMsg[]): PlantHallMsg[] {
  const byHall = new Map<string | null, PlantHallMsg>();
  for (const m of machines) {
    let hall = byHall.get(m.hall);
    if (!hall) byHall.set(m.hall, (hall = { hall: m.hall, counts: { critical: 0, warning: 0, offline: 0, unknown: 0, ok: 0 } }));
    hall.counts[m.state]++;
  }
  return [...byHall.values()].sort((a, b) => (a.hall ?? "\uffff").localeCompare(b.hall ?? "\uffff"));
}

function safeJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString());
  } catch {
    return undefined;
  }
}
