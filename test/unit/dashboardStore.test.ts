import { describe, expect, it } from "vitest";
import { Store } from "../../dashboard/src/store.js";

const channel = { id: "a", name: "a", unit: "°C", source: "s", staleAfterMs: 1000, stale: false, last: null };

describe("dashboard Store", () => {
  it("keeps a series in time order whatever order history chunks, live readings and stored history arrive in", () => {
    const store = new Store();
    store.apply({ v: 1, t: "snapshot", now: 1000, gateway: { name: "m", version: "0", timeZone: "UTC", plantView: false }, channels: [channel], sources: [], cameras: [], mics: [], video: { palette: "ironbow", range: null }, historyFrom: { a: 500 } });
    store.apply({ v: 1, t: "readings", now: 1001, r: [["a", 1001, 11]] });
    store.apply({ v: 1, t: "history", channel: "a", ts: [800, 900], values: [8, 9] });
    store.insert("a", [100, 200], [1, 2]);
    store.apply({ v: 1, t: "readings", now: 1002, r: [["a", 1002, 12]] });
    store.apply({ v: 1, t: "history", channel: "a", ts: [500, 600, 700], values: [5, 6, 7] });
    expect(store.series.get("a")).toEqual({ ts: [100, 200, 500, 600, 700, 800, 900, 1001, 1002], values: [1, 2, 5, 6, 7, 8, 9, 11, 12] });
  });

  it("after the gateway's clock was set back, live points dated later than a new reading go", () => {
    const now = Date.now();
    const store = new Store();
    store.apply({ v: 1, t: "snapshot", now, gateway: { name: "m", version: "0", timeZone: "UTC", plantView: false }, channels: [channel], sources: [], cameras: [], mics: [], video: { palette: "ironbow", range: null }, historyFrom: {} });
    store.apply({ v: 1, t: "readings", now, r: [["a", now - 3000, 1], ["a", now - 2000, 2], ["a", now - 1000, 3]] });
    store.apply({ v: 1, t: "readings", now: now - 2500, r: [["a", now - 2500, 4]] });
    expect(store.series.get("a")).toEqual({ ts: [now - 3000, now - 2500], values: [1, 4] });
  });
});
