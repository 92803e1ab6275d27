/**
 * What an operator told the controller about a site, kept with its state so a restart does not forget it:
 * the site suspended, and the plan hash approved for a site under the `approve` policy. One row per site.
 */
import type Database from 'better-sqlite3';
import type { Clock } from '../clock.js';

export const SITE_CONTROLS_MIGRATION = `
  CREATE TABLE site_controls (
    site TEXT PRIMARY KEY,
    suspended INTEGER NOT NULL DEFAULT 0,
    approved_plan_hash TEXT,
    updated_at TEXT NOT NULL
  );
`;

export interface SiteControls {
  suspended: boolean;
  /** The plan the site may apply under `approve`; cleared once that plan is applied. */
  approvedPlanHash: string | null;
}

export class SqliteSiteControls {
  constructor(
    private readonly db: Database.Database,
    private readonly site: string,
    private readonly clock: Clock,
  ) {}

  get(): SiteControls {
    const row = this.db.prepare(`SELECT suspended, approved_plan_hash FROM site_controls WHERE site = ?`).get(this.site) as
      | { suspended: number; approved_plan_hash: string | null }
      | undefined;
    return { suspended: row?.suspended === 1, approvedPlanHash: row?.approved_plan_hash ?? null };
  }

  set(change: Partial<SiteControls>): SiteControls {
    const next = { ...this.get(), ...change };
    this.db
      .prepare(
        `INSERT INTO site_controls (site, suspended, approved_plan_hash, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (site) DO UPDATE SET suspended = excluded.suspended, approved_plan_hash = excluded.approved_plan_hash, updated_at = excluded.updated_at`,
      )
      .run(this.site, next.suspended ? 1 : 0, next.approvedPlanHash, this.clock.now().toISOString());
    return next;
  }
}
