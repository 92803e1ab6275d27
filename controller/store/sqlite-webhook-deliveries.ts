/**
 * The webhook delivery ids a site's receiver accepted, kept in the state database so a delivery replayed
 * after a controller restart is still dropped (ADR 0023, amended). Bounded by count, the newest `capacity`
 * per site: a count bounds the table whatever the clock or the rate of deliveries, and a Git host lets an
 * operator redeliver a delivery days old (GitHub keeps them for days), which a 24 h window would let through.
 * A replay older than the window costs one re-read of the ref, never a rollback.
 */
import type Database from 'better-sqlite3';
import type { Clock } from '../clock.js';
import type { DeliveryLog } from '../watch/delivery-log.js';

export const WEBHOOK_DELIVERIES_MIGRATION = `
  CREATE TABLE webhook_deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    site TEXT NOT NULL,
    delivery TEXT NOT NULL,
    accepted_at TEXT NOT NULL,
    UNIQUE (site, delivery)
  );
  CREATE INDEX webhook_deliveries_by_site ON webhook_deliveries (site, seq);
`;

export class SqliteWebhookDeliveries implements DeliveryLog {
  readonly #capacity: number;

  constructor(
    private readonly db: Database.Database,
    private readonly site: string,
    private readonly clock: Clock,
    capacity: number,
  ) {
    this.#capacity = Math.max(1, capacity);
  }

  firstTime(id: string): boolean {
    // One statement decides and records: a copy arriving at the same moment finds the row (UNIQUE).
    const inserted = this.db
      .prepare(`INSERT OR IGNORE INTO webhook_deliveries (site, delivery, accepted_at) VALUES (?, ?, ?)`)
      .run(this.site, id, this.clock.now().toISOString()).changes;
    if (inserted === 0) return false;
    this.db
      .prepare(
        `DELETE FROM webhook_deliveries WHERE site = ? AND seq <= (
           SELECT seq FROM webhook_deliveries WHERE site = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
      )
      .run(this.site, this.site, this.#capacity);
    return true;
  }

  forget(id: string): void {
    this.db.prepare(`DELETE FROM webhook_deliveries WHERE site = ? AND delivery = ?`).run(this.site, id);
  }

  /** The ids remembered for this site (tests, and the bound). */
  get size(): number {
    return (this.db.prepare(`SELECT count(*) AS n FROM webhook_deliveries WHERE site = ?`).get(this.site) as { n: number }).n;
  }
}
