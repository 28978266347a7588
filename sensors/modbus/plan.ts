import { isBitFunction, type ModbusFunction } from "./address.js";

export interface PlannedPoint {
  unitId: number;
  function: ModbusFunction;
  address: number;
  /** Registers (or bits) it occupies. */
  count: number;
  interval: number;
}

export interface Limits {
  /** Unused addresses between two points that are still read in one request. */
  maxGap: number;
  /** Largest request: Modbus allows 125 registers and 2000 bits. */
  maxRegisters: number;
  maxBits: number;
}

export interface ReadRequest<P extends PlannedPoint> {
  unitId: number;
  function: ModbusFunction;
  address: number;
  count: number;
  interval: number;
  points: P[];
}

/**
 * Groups points into as few requests as the limits allow: points of one unit, function and poll
 * interval are sorted by address, and a point joins the request before it when the hole between
 * them is at most maxGap addresses and the request stays within the size limit.
 */
export function planRequests<P extends PlannedPoint>(points: readonly P[], limits: Limits): ReadRequest<P>[] {
  const byKey = new Map<string, P[]>();
  for (const p of points) {
    const key = `${p.unitId}/${p.function}/${p.interval}`;
    const list = byKey.get(key);
    if (list) list.push(p);
    else byKey.set(key, [p]);
  }
  const requests: ReadRequest<P>[] = [];
  for (const group of byKey.values()) {
    const sorted = [...group].sort((a, b) => a.address - b.address || b.count - a.count);
    const max = isBitFunction(sorted[0].function) ? limits.maxBits : limits.maxRegisters;
    let current: ReadRequest<P> | undefined;
    for (const p of sorted) {
      const end = current ? current.address + current.count : 0;
      const newEnd = Math.max(end, p.address + p.count);
      if (current && p.address - end <= limits.maxGap && newEnd - current.address <= max) {
        current.count = newEnd - current.address;
        current.points.push(p);
      } else {
        current = { unitId: p.unitId, function: p.function, address: p.address, count: p.count, interval: p.interval, points: [p] };
        requests.push(current);
      }
    }
  }
  return requests;
}
