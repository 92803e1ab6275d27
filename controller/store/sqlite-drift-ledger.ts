/**
 * The drift ledger in the embedded store (drift-ledger.ts): the open records by site and
 * resource id, and the corrections made, in the same database (and with the same durability) as the journal.
 */
import type Database from 'better-sqlite3';
import type { DriftCorrection, DriftLedger, OpenDrift } from './drift-ledger.js';

/** The migration that adds the tables (appended to sqlite-store.ts's list). */
export const DRIFT_LEDGER_MIGRATION = `
  CREATE TABLE drift_records (
    site TEXT NOT NULL,
    id TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (site, id)
  ) WITHOUT ROWID;
  CREATE TABLE drift_corrections (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    site TEXT NOT NULL,
    id TEXT NOT NULL,
    at TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('succeeded', 'failed')),
    retry_at TEXT
  );
  CREATE INDEX drift_corrections_by_site ON drift_corrections (site, at);
`;

interface RecordRow {
  id: string;
  first_seen: string;
  record: string;
}

interface CorrectionRow {
  id: string;
  at: string;
  outcome: DriftCorrection['outcome'];
  retry_at: string | null;
}

export class SqliteDriftLedger<R> implements DriftLedger<R> {
  constructor(
    private readonly db: Database.Database,
    readonly site: string,
  ) {}

  open(): Promise<OpenDrift<R>[]> {
    const rows = this.db.prepare(`SELECT id, first_seen, record FROM drift_records WHERE site = ? ORDER BY id`).all(this.site) as RecordRow[];
    return Promise.resolve(rows.map((r) => ({ id: r.id, firstSeen: r.first_seen, record: JSON.parse(r.record) as R })));
  }

  corrections(since: string): Promise<DriftCorrection[]> {
    const rows = this.db.prepare(`SELECT id, at, outcome, retry_at FROM drift_corrections WHERE site = ? AND at >= ? ORDER BY seq`).all(this.site, since) as CorrectionRow[];
    return Promise.resolve(rows.map((r) => ({ id: r.id, at: r.at, outcome: r.outcome, retryAt: r.retry_at })));
  }

  update(change: { upsert: readonly OpenDrift<R>[]; resolve: readonly string[] }): Promise<void> {
    const put = this.db.prepare(
      `INSERT INTO drift_records (site, id, first_seen, record) VALUES (?, ?, ?, ?) ON CONFLICT (site, id) DO UPDATE SET record = excluded.record`,
    );
    const drop = this.db.prepare(`DELETE FROM drift_records WHERE site = ? AND id = ?`);
    this.db.transaction(() => {
      for (const o of change.upsert) put.run(this.site, o.id, o.firstSeen, JSON.stringify(o.record));
      for (const id of change.resolve) drop.run(this.site, id);
    })();
    return Promise.resolve();
  }

  recordCorrections(entries: readonly DriftCorrection[], forgetBefore: string): Promise<void> {
    const add = this.db.prepare(`INSERT INTO drift_corrections (site, id, at, outcome, retry_at) VALUES (?, ?, ?, ?, ?)`);
    this.db.transaction(() => {
      for (const e of entries) add.run(this.site, e.id, e.at, e.outcome, e.retryAt);
      this.db.prepare(`DELETE FROM drift_corrections WHERE site = ? AND at < ?`).run(this.site, forgetBefore);
    })();
    return Promise.resolve();
  }
}
