import type { IncidentRow } from "../protocol/incident.js";
import type { Db } from "../storage/db.js";

/** The root CID of the finalised incident record of an alert's firing (its newest version), if any. */
export type IncidentOf = (alert: string, firingSince: number | null) => string | null;

const PIN = "FROM incident_pins p WHERE p.alert = incidents.alert AND p.firing_at = incidents.firing_at";
const COLUMNS = `id, alert, firing_at AS firingAt, from_ts AS "from", to_ts AS "to", status, cid, bytes, blocks, finalised_at AS finalisedAt, error, version, previous, replication,
  (SELECT pinned_by ${PIN}) AS pinnedBy, (SELECT pinned_at ${PIN}) AS pinnedAt`;

/** The bytes a firing's records take: those of its newest version, which holds the blocks of those before it. */
const firingBytes = (rows: IncidentRow[]) => Math.max(0, ...rows.map((r) => r.bytes ?? 0));

/** The incidents table: one row per record, its root CID once finalised, and the blocks it holds. */
export class IncidentStore {
  constructor(private readonly db: Db) {}

  /** Records cut short by a restart lost their pre-roll with the process: they cannot be finished. */
  failUnfinished(): number {
    return this.db.prepare("UPDATE incidents SET status = 'failed', error = 'the gateway stopped while recording' WHERE status = 'recording'").run().changes;
  }

  begin(alert: string, firingAt: number, from: number, to: number): number {
    return Number(this.db.prepare("INSERT INTO incidents (alert, firing_at, from_ts, to_ts, status) VALUES (?, ?, ?, ?, 'recording')").run(alert, firingAt, from, to).lastInsertRowid);
  }

  /** In one transaction, so a record is either finalised with all its blocks listed or not at all. */
  finalise(id: number, cid: string, bytes: number, blocks: string[], at: number): void {
    this.db.transaction(() => {
      this.holdBlocks(id, blocks);
      this.db.prepare("UPDATE incidents SET status = 'finalised', cid = ?, bytes = ?, blocks = ?, finalised_at = ? WHERE id = ?").run(cid, bytes, blocks.length, at, id);
    })();
  }

  /** A later version of the record `of`, finalised at once with all its blocks (those of the versions before included). */
  addVersion(of: IncidentRow, version: { cid: string; bytes: number; blocks: string[]; at: number }): IncidentRow {
    return this.db.transaction(() => {
      const id = Number(
        this.db
          .prepare("INSERT INTO incidents (alert, firing_at, from_ts, to_ts, status, cid, bytes, blocks, finalised_at, version, previous) VALUES (?, ?, ?, ?, 'finalised', ?, ?, ?, ?, ?, ?)")
          .run(of.alert, of.firingAt, of.from, of.to, version.cid, version.bytes, version.blocks.length, version.at, of.version + 1, of.cid).lastInsertRowid,
      );
      this.holdBlocks(id, version.blocks);
      return this.db.prepare(`SELECT ${COLUMNS} FROM incidents WHERE id = ?`).get(id) as IncidentRow;
    })();
  }

  private holdBlocks(id: number, blocks: string[]): void {
    const insertBlock = this.db.prepare("INSERT OR IGNORE INTO incident_blocks (incident, cid) VALUES (?, ?)");
    for (const b of blocks) insertBlock.run(id, b);
  }

  byId(id: number): IncidentRow | undefined {
    return this.db.prepare(`SELECT ${COLUMNS} FROM incidents WHERE id = ?`).get(id) as IncidentRow | undefined;
  }

  /** Where the record's copy on the plant's IPFS node stands: pending, replicated, or failed with the reason. */
  setReplication(id: number, state: string): void {
    this.db.prepare("UPDATE incidents SET replication = ? WHERE id = ?").run(state.slice(0, 500), id);
  }

  fail(id: number, error: string): void {
    this.db.prepare("UPDATE incidents SET status = 'failed', error = ? WHERE id = ?").run(error.slice(0, 500), id);
  }

  list(limit = 500): IncidentRow[] {
    return this.db.prepare(`SELECT ${COLUMNS} FROM incidents ORDER BY id DESC LIMIT ?`).all(limit) as IncidentRow[];
  }

  byCid(cid: string): IncidentRow | undefined {
    return this.db.prepare(`SELECT ${COLUMNS} FROM incidents WHERE cid = ? AND status = 'finalised' ORDER BY id DESC LIMIT 1`).get(cid) as IncidentRow | undefined;
  }

  /** The newest finalised version of the record of an alert's firing at `firingAt`. */
  latestFor(alert: string, firingAt: number): IncidentRow | undefined {
    return this.db.prepare(`SELECT ${COLUMNS} FROM incidents WHERE alert = ? AND firing_at = ? AND status = 'finalised' ORDER BY id DESC LIMIT 1`).get(alert, firingAt) as IncidentRow | undefined;
  }

  /** The root CID of the record of an alert's firing at `firingAt` (its newest version), once finalised. */
  cidFor(alert: string, firingAt: number | null): string | null {
    return firingAt === null ? null : (this.latestFor(alert, firingAt)?.cid ?? null);
  }

  /** Whether any record holds this block. */
  holdsBlock(cid: string): boolean {
    return this.db.prepare("SELECT 1 FROM incident_blocks WHERE cid = ? LIMIT 1").get(cid) !== undefined;
  }

  /** Finished records, every version of a firing together, oldest firing first. */
  private firings(): IncidentRow[][] {
    const done = this.db.prepare(`SELECT ${COLUMNS} FROM incidents WHERE status != 'recording' ORDER BY id`).all() as IncidentRow[];
    const firings = new Map<string, IncidentRow[]>();
    for (const r of done) firings.set(`${r.alert} ${r.firingAt}`, [...(firings.get(`${r.alert} ${r.firingAt}`) ?? []), r]);
    return [...firings.values()];
  }

  /**
   * Finished records to delete, every version of a firing together: those of alerts that fired
   * before `before`, then the oldest while all of them exceed `maxBytes`. Never one still
   * recording, nor a pinned one (its bytes count towards `maxBytes` all the same).
   */
  expired(before: number, maxBytes: number): IncidentRow[] {
    const firings = this.firings();
    let total = firings.reduce((n, rows) => n + firingBytes(rows), 0);
    return firings.flatMap((rows) => {
      const drop = rows[0].pinnedBy === null && (rows[0].firingAt < before || total > maxBytes);
      if (!drop) return [];
      total -= firingBytes(rows);
      return rows;
    });
  }

  /** The bytes that pinned records take on disk. */
  pinnedBytes(): number {
    return this.firings()
      .filter((rows) => rows[0].pinnedBy !== null)
      .reduce((n, rows) => n + firingBytes(rows), 0);
  }

  /** Pins every version of the firing `row` belongs to (kept by whoever pinned it first); unpins with `by` null. */
  setPinned(row: IncidentRow, by: string | null, at: number): void {
    if (by === null) this.db.prepare("DELETE FROM incident_pins WHERE alert = ? AND firing_at = ?").run(row.alert, row.firingAt);
    else this.db.prepare("INSERT OR IGNORE INTO incident_pins (alert, firing_at, pinned_by, pinned_at) VALUES (?, ?, ?, ?)").run(row.alert, row.firingAt, by, at);
  }

  /**
   * Deletes the row and answers the blocks no other record holds any more; undefined (nothing
   * deleted) if its firing has been pinned since the row was chosen.
   */
  delete(id: number): string[] | undefined {
    return this.db.transaction(() => {
      if (this.db.prepare(`SELECT 1 FROM incidents WHERE id = ? AND EXISTS (SELECT 1 ${PIN})`).get(id)) return undefined;
      const blocks = (this.db.prepare("SELECT cid FROM incident_blocks WHERE incident = ?").all(id) as Array<{ cid: string }>).map((r) => r.cid);
      this.db.prepare("DELETE FROM incidents WHERE id = ?").run(id);
      return blocks.filter((b) => !this.db.prepare("SELECT 1 FROM incident_blocks WHERE cid = ? LIMIT 1").get(b));
    })();
  }
}
