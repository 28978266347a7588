import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { moveSamplesToBlocks } from "../history/blocks.js";

export type Db = Database.Database;

const MIGRATIONS: Array<string | ((db: Db) => void)> = [
  `CREATE TABLE channels (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
   CREATE TABLE samples (channel INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL NOT NULL);
   CREATE INDEX samples_by_channel_time ON samples (channel, ts);
   CREATE INDEX samples_by_time ON samples (ts);
   CREATE TABLE minutes (channel INTEGER NOT NULL, minute INTEGER NOT NULL, min REAL NOT NULL, max REAL NOT NULL,
                         sum REAL NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (channel, minute)) WITHOUT ROWID;
   CREATE TABLE alerts (id TEXT PRIMARY KEY, record TEXT NOT NULL);
   CREATE TABLE alert_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, alert TEXT NOT NULL, from_state TEXT NOT NULL,
                              to_state TEXT NOT NULL, at INTEGER NOT NULL, value REAL, detail TEXT NOT NULL);
   CREATE INDEX alert_events_by_alert ON alert_events (alert, at);
   CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, sink TEXT NOT NULL, payload TEXT NOT NULL,
                        created INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL);
   CREATE INDEX outbox_by_sink ON outbox (sink, next_at);`,
  `CREATE TABLE rules (id TEXT PRIMARY KEY, rule TEXT NOT NULL, enabled INTEGER NOT NULL, version INTEGER NOT NULL,
                       updated_at INTEGER NOT NULL, updated_by TEXT NOT NULL);
   CREATE TABLE rule_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, rule TEXT NOT NULL, at INTEGER NOT NULL, by TEXT NOT NULL,
                              action TEXT NOT NULL, old TEXT, new TEXT);
   CREATE INDEX rule_changes_by_rule ON rule_changes (rule, seq);`,
  `CREATE TABLE clock_jumps (at INTEGER NOT NULL, delta_ms INTEGER NOT NULL);
   CREATE INDEX clock_jumps_by_time ON clock_jumps (at);`,
  // History as appended blocks (history/blocks.ts); the samples already stored move into them.
  (db) => {
    db.exec(`CREATE TABLE history_blocks (id INTEGER PRIMARY KEY, start_ts INTEGER NOT NULL, end_ts INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL);
             CREATE INDEX history_blocks_by_end ON history_blocks (end_ts);
             CREATE TABLE history_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;`);
    moveSamplesToBlocks(db);
    db.exec("DROP TABLE samples");
  },
  `CREATE TABLE incidents (id INTEGER PRIMARY KEY AUTOINCREMENT, alert TEXT NOT NULL, firing_at INTEGER NOT NULL,
                           from_ts INTEGER NOT NULL, to_ts INTEGER NOT NULL, status TEXT NOT NULL, cid TEXT,
                           bytes INTEGER, blocks INTEGER, finalised_at INTEGER, error TEXT);
   CREATE INDEX incidents_by_alert ON incidents (alert, id);
   CREATE INDEX incidents_by_cid ON incidents (cid);
   CREATE TABLE incident_blocks (incident INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE, cid TEXT NOT NULL,
                                 PRIMARY KEY (incident, cid)) WITHOUT ROWID;
   CREATE INDEX incident_blocks_by_cid ON incident_blocks (cid);`,
  // Versions of a record (a firing's later transitions as a new record linking to the previous one),
  // and whether a record is on the plant's IPFS node.
  `ALTER TABLE incidents ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
   ALTER TABLE incidents ADD COLUMN previous TEXT;
   ALTER TABLE incidents ADD COLUMN replication TEXT;`,
  // Firings whose records (every version) are pinned: kept beyond retention and the disk budget.
  `CREATE TABLE incident_pins (alert TEXT NOT NULL, firing_at INTEGER NOT NULL, pinned_by TEXT NOT NULL, pinned_at INTEGER NOT NULL,
                              PRIMARY KEY (alert, firing_at)) WITHOUT ROWID;`,
];

/**
 * The gateway's one SQLite file. WAL with synchronous=NORMAL: a power cut can lose the last
 * committed batch but never corrupts the file, and writes stay cheap for SD cards.
 */
export function openDatabase(file: string): Db {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000");
  db.pragma("foreign_keys = ON");
  const version = db.pragma("user_version", { simple: true }) as number;
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      const migration = MIGRATIONS[v];
      if (typeof migration === "string") db.exec(migration);
      else migration(db);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return db;
}
