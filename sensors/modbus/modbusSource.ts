import { Backoff } from "../../common/backoff.js";
import type { Logger } from "../../common/logger.js";
import type { Source, SourceSink } from "../types.js";
import { describeBus, ModbusBus } from "./bus.js";
import { pointValue } from "./decode.js";
import { planRequests, type ReadRequest } from "./plan.js";
import { resolvePoints, type ModbusPoint, type ModbusSourceOptions } from "./schema.js";
import { systemClock, type Clock } from "../../common/clock.js";

type Request = ReadRequest<ModbusPoint> & { label: string; problem?: string; inFlight: boolean };

/** A unit that stopped answering is asked only now and then, without retries, so it cannot hold up the others. */
interface Unit {
  silent?: string;
  probeAt: number;
  readonly backoff: Backoff;
}

function toRequest(r: ReadRequest<ModbusPoint>): Request {
  return { ...r, label: `unit ${r.unitId} ${r.function} ${r.address}${r.count > 1 ? `–${r.address + r.count - 1}` : ""}`, inFlight: false };
}

const ILLEGAL_DATA_ADDRESS = 2;

/**
 * Points on one Modbus bus, polled in as few requests as the limits allow. A unit that does not
 * answer shows the source down with the reason and its channels stale at once; so does a lost bus.
 */
export class ModbusSource implements Source {
  readonly id: string;
  private readonly bus: ModbusBus;
  private readonly requests: Request[];
  private readonly units = new Map<number, Unit>();
  private readonly timers: NodeJS.Timeout[] = [];
  private busDown: string | undefined;
  private stopped = true;

  constructor(
    private readonly o: ModbusSourceOptions,
    private readonly sink: SourceSink,
    private readonly log: Logger,
    private readonly clock: Clock = systemClock,
  ) {
    this.id = o.id;
    const points = resolvePoints(o);
    for (const p of points) {
      sink.channel({ id: p.channel, name: p.name ?? p.channel, unit: p.unit, source: o.id, staleAfterMs: p.staleAfter, decimals: p.decimals, group: p.group });
    }
    this.requests = planRequests(points, o).map(toRequest);
    for (const r of this.requests) this.units.set(r.unitId, { probeAt: 0, backoff: new Backoff(1000, 10_000) });
    this.busDown = `opening ${describeBus(o)}`;
    this.bus = new ModbusBus(
      o,
      {
        opened: () => {
          this.busDown = undefined;
          for (const u of this.units.values()) this.answered(u);
          this.report();
          this.pollAll(this.requests);
        },
        lost: (reason) => {
          this.busDown = reason;
          this.sink.offline(this.requests.flatMap((r) => r.points.map((p) => p.channel)));
          this.report();
        },
      },
      log,
    );
  }

  start(): void {
    this.stopped = false;
    this.sink.status({ state: "starting", detail: this.busDown });
    this.bus.start();
    for (const interval of new Set(this.requests.map((r) => r.interval))) {
      this.timers.push(setInterval(() => this.pollAll(this.requests.filter((r) => r.interval === interval)), interval));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    await this.bus.stop();
  }

  private pollAll(requests: Request[]): void {
    if (!this.bus.isOpen) return;
    for (const r of requests) if (!r.inFlight) void this.poll(r);
  }

  private async poll(r: Request): Promise<void> {
    const unit = this.units.get(r.unitId)!;
    if (unit.silent && this.clock.mono() < unit.probeAt) return;
    // One probe at a time: the unit's other requests wait for its answer.
    if (unit.silent) unit.probeAt = Number.POSITIVE_INFINITY;
    r.inFlight = true;
    const attempts = unit.silent ? 1 : this.o.retries + 1;
    let outcome = await this.bus.read(r.unitId, r.function, r.address, r.count);
    for (let i = 1; i < attempts && !outcome.ok && (outcome.failure === "timeout" || outcome.failure === "corrupt"); i++) {
      if (outcome.failure === "corrupt") this.sink.reject(`${r.label}: ${outcome.message}`, "");
      outcome = await this.bus.read(r.unitId, r.function, r.address, r.count);
    }
    r.inFlight = false;
    if (this.stopped) return;
    if (outcome.ok) {
      r.problem = undefined;
      this.answered(unit, r.unitId);
      const ts = this.clock.wall();
      for (const p of r.points) {
        const v = pointValue(p, r.address, outcome.words, outcome.bits);
        if (v.ok) this.sink.reading({ channel: p.channel, value: v.value, ts });
        else this.sink.reject(v.reason, "");
      }
    } else if (outcome.failure === "timeout") {
      if (!unit.silent) {
        this.log.warn({ source: this.id, unit: r.unitId }, `unit ${r.unitId}: ${outcome.message}`);
        this.sink.offline(this.requests.filter((x) => x.unitId === r.unitId).flatMap((x) => x.points.map((p) => p.channel)));
      }
      unit.silent = outcome.message;
      unit.probeAt = this.clock.mono() + unit.backoff.next();
    } else if (outcome.failure !== "closed") {
      // A Modbus exception or a garbled reply: the unit is there, this request is what fails.
      this.answered(unit, r.unitId);
      this.sink.reject(`${r.label}: ${outcome.message}`, "");
      if (outcome.failure === "exception" && outcome.code === ILLEGAL_DATA_ADDRESS && this.split(r)) return;
      r.problem = outcome.message;
    }
    this.report();
  }

  /**
   * Many devices refuse a read that spans an address they do not have (the holes that grouping
   * reads across): the request's points are then read in touching runs, and a run that is still
   * refused point by point, so that only a point that is really not there keeps failing.
   */
  private split(r: Request): boolean {
    if (r.points.length < 2) return false;
    const runs = planRequests(r.points, { ...this.o, maxGap: 0 });
    const single = r.points.map((p) => ({ unitId: r.unitId, function: r.function, address: p.address, count: p.count, interval: r.interval, points: [p] }));
    const parts = (runs.length > 1 ? runs : single).map(toRequest);
    this.log.warn({ source: this.id, request: r.label }, `${r.label}: the device refuses the read; reading it in ${parts.length} parts`);
    this.requests.splice(this.requests.indexOf(r), 1, ...parts);
    this.pollAll(parts);
    return true;
  }

  private answered(unit: Unit, unitId?: number): void {
    if (unit.silent && unitId !== undefined) this.log.info({ source: this.id, unit: unitId }, `unit ${unitId} answers again`);
    unit.silent = undefined;
    unit.backoff.reset();
  }

  private report(): void {
    if (this.stopped) return;
    if (this.busDown) return this.sink.status({ state: "down", detail: this.busDown });
    const problems = [
      ...[...this.units].filter(([, u]) => u.silent).map(([id, u]) => `unit ${id}: ${u.silent}`),
      ...this.requests.filter((r) => r.problem && !this.units.get(r.unitId)!.silent).map((r) => `${r.label}: ${r.problem}`),
    ];
    const units = [...this.units.keys()].sort((a, b) => a - b);
    if (problems.length > 0) this.sink.status({ state: "down", detail: problems.join("; ") });
    else this.sink.status({ state: "up", detail: `${describeBus(this.o)}, unit${units.length > 1 ? "s" : ""} ${units.join(", ")}` });
  }
}
