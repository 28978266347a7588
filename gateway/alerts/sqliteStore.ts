import type { Db } from "../storage/db.js";
import { WriteQueue, type StorageHealth } from "../storage/health.js";
import type { AlertRecord, AlertStore } from "./engine.js";

/**
 * Alert state and the log of every transition, written through on each change; while the disk is
 * full they wait in memory, in order, and alerting goes on.
 */
export class SqliteAlertStore implements AlertStore {
  readonly writes: WriteQueue;

  constructor(
    private readonly db: Db,
    health: StorageHealth,
  ) {
    this.writes = new WriteQueue("alert state", health);
  }

  loadAlerts(): AlertRecord[] {
    return (this.db.prepare("SELECT record FROM alerts").all() as Array<{ record: string }>).map((r) => JSON.parse(r.record) as AlertRecord);
  }

  saveAlert(record: AlertRecord): void {
    const json = JSON.stringify(record);
    this.writes.run(() => this.db.prepare("INSERT INTO alerts (id, record) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET record = excluded.record").run(record.id, json));
  }

  recordTransition(t: { id: string; from: string; to: string; at: number; value: number | null; detail: string }): void {
    this.writes.run(() => this.db.prepare("INSERT INTO alert_events (alert, from_state, to_state, at, value, detail) VALUES (?, ?, ?, ?, ?, ?)").run(t.id, t.from, t.to, t.at, t.value, t.detail));
  }

  events(alert: string, limit = 100): Array<{ from_state: string; to_state: string; at: number; value: number | null; detail: string }> {
    return this.db.prepare("SELECT from_state, to_state, at, value, detail FROM alert_events WHERE alert = ? ORDER BY seq DESC LIMIT ?").all(alert, limit) as never;
  }
}
