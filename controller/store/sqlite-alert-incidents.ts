/**
 * Open alert incidents in the embedded store (incident-store.ts), for every site of the
 * database: the alerter serves the whole controller, so this table is read across sites.
 */
import type Database from 'better-sqlite3';
import type { IncidentStore, StoredIncident } from './incident-store.js';

/** The migration that adds the table (appended to sqlite-store.ts's list). */
export const ALERT_INCIDENTS_MIGRATION = `
  CREATE TABLE alert_incidents (
    site TEXT NOT NULL,
    reason TEXT NOT NULL,
    key TEXT NOT NULL,
    summary TEXT NOT NULL,
    details TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    notified_at TEXT NOT NULL,
    PRIMARY KEY (site, reason, key)
  ) WITHOUT ROWID;
`;

interface Row {
  site: string;
  reason: string;
  key: string;
  summary: string;
  details: string;
  opened_at: string;
  notified_at: string;
}

/** `I`: the alerter's incident type; rows are read back as the JSON it wrote. */
export class SqliteAlertIncidents<I extends StoredIncident> implements IncidentStore<I> {
  constructor(private readonly db: Database.Database) {}

  open(): Promise<I[]> {
    const rows = this.db.prepare(`SELECT * FROM alert_incidents ORDER BY site, reason, key`).all() as Row[];
    return Promise.resolve(
      rows.map((r) => ({
        site: r.site,
        reason: r.reason,
        key: r.key,
        summary: r.summary,
        details: JSON.parse(r.details) as Record<string, unknown>,
        openedAt: r.opened_at,
        notifiedAt: JSON.parse(r.notified_at) as Record<string, string>,
      }) as I),
    );
  }

  save(i: I): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO alert_incidents (site, reason, key, summary, details, opened_at, notified_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (site, reason, key) DO UPDATE SET summary = excluded.summary, details = excluded.details, notified_at = excluded.notified_at`,
      )
      .run(i.site, i.reason, i.key, i.summary, JSON.stringify(i.details), i.openedAt, JSON.stringify(i.notifiedAt));
    return Promise.resolve();
  }

  remove(i: Pick<I, 'site' | 'reason' | 'key'>): Promise<void> {
    this.db.prepare(`DELETE FROM alert_incidents WHERE site = ? AND reason = ? AND key = ?`).run(i.site, i.reason, i.key);
    return Promise.resolve();
  }
}
