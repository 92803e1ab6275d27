/**
 * The pool ledger in the embedded store (ledger.ts): a `pool_allocations` table keyed by site, pool and name.
 * A released row stays with its `released_at`; only one live row per (site, pool, name) and per (site, pool,
 * address), which the database itself enforces with partial unique indexes.
 */
import type Database from 'better-sqlite3';
import type { Clock } from '../clock.js';
import { UnderlayError } from '../model/errors.js';
import { z } from 'zod';
import type { Ledger, LedgerRow, PoolAllocation, ReleasedAllocation } from './ledger.js';
import type { StateSection } from './state-export.js';

const LedgerRowSchema = z.strictObject({ pool: z.string(), name: z.string(), address: z.string(), allocatedAt: z.string(), releasedAt: z.string().nullable() });

/** The migration that adds the table (appended to sqlite-store.ts's list). */
export const POOL_ALLOCATIONS_MIGRATION = `
  CREATE TABLE pool_allocations (
    id INTEGER PRIMARY KEY,
    site TEXT NOT NULL,
    pool TEXT NOT NULL,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    allocated_at TEXT NOT NULL,
    released_at TEXT
  );
  CREATE UNIQUE INDEX pool_allocations_live_name ON pool_allocations (site, pool, name) WHERE released_at IS NULL;
  CREATE UNIQUE INDEX pool_allocations_live_address ON pool_allocations (site, pool, address) WHERE released_at IS NULL;
`;

/** Another name holds the address in the pool: one address is never handed out twice. */
const addressTaken = (pool: string, address: string, holder: string, name: string): UnderlayError<{ pool: string; address: string; holder: string }> =>
  new UnderlayError({ code: 'AddressTaken', message: `pool ${pool}: ${address} is already allocated to ${holder}, not to ${name}`, data: { pool, address, holder } });

interface Row {
  pool: string;
  name: string;
  address: string;
  allocated_at: string;
  released_at: string | null;
}

/** A synchronous write as the Ledger's promise: rejected with what the transaction threw. */
function settled(write: () => void): Promise<void> {
  try {
    write();
  } catch (error) {
    return Promise.reject(error as Error);
  }
  return Promise.resolve();
}

export class SqliteLedger implements Ledger {
  constructor(
    private readonly db: Database.Database,
    private readonly site: string,
    private readonly clock: Clock,
  ) {}

  poolAllocations(): Promise<PoolAllocation[]> {
    const rows = this.db
      .prepare(`SELECT pool, name, address, allocated_at FROM pool_allocations WHERE site = ? AND released_at IS NULL ORDER BY pool, name`)
      .all(this.site) as Row[];
    return Promise.resolve(rows.map((r) => ({ pool: r.pool, name: r.name, address: r.address, allocatedAt: r.allocated_at })));
  }

  releasedAllocations(): Promise<ReleasedAllocation[]> {
    // The latest release of each name that is not live again, unless another name holds its address now.
    const rows = this.db
      .prepare(
        `SELECT r.pool, r.name, r.address, MAX(r.released_at) AS released_at FROM pool_allocations r
         WHERE r.site = ? AND r.released_at IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM pool_allocations l WHERE l.site = r.site AND l.pool = r.pool AND l.released_at IS NULL AND (l.name = r.name OR l.address = r.address))
         GROUP BY r.pool, r.name ORDER BY r.pool, r.name`,
      )
      .all(this.site) as Row[];
    return Promise.resolve(rows.map((r) => ({ pool: r.pool, name: r.name, address: r.address, releasedAt: r.released_at! })));
  }

  allocate({ pool, name, address }: { pool: string; name: string; address: string }): Promise<void> {
    const at = this.clock.now().toISOString();
    // One IMMEDIATE transaction, committed with synchronous=FULL (the store's setting): it takes the write
    // lock before it reads, so a second process allocating at the same moment waits (busy_timeout) and then
    // sees this row; the unique index refuses a duplicate whatever happens. On disk when this resolves.
    const write = this.db.transaction(() => {
      const holder = this.db
        .prepare(`SELECT name FROM pool_allocations WHERE site = ? AND pool = ? AND address = ? AND released_at IS NULL`)
        .get(this.site, pool, address) as { name: string } | undefined;
      if (holder && holder.name !== name) throw addressTaken(pool, address, holder.name, name);
      if (holder) return;
      this.db.prepare(`UPDATE pool_allocations SET released_at = ? WHERE site = ? AND pool = ? AND name = ? AND released_at IS NULL`).run(at, this.site, pool, name);
      this.db.prepare(`INSERT INTO pool_allocations (site, pool, name, address, allocated_at) VALUES (?, ?, ?, ?, ?)`).run(this.site, pool, name, address, at);
    });
    return settled(() => write.immediate());
  }

  release({ pool, name }: { pool: string; name: string }): Promise<void> {
    const at = this.clock.now().toISOString();
    this.db.prepare(`UPDATE pool_allocations SET released_at = ? WHERE site = ? AND pool = ? AND name = ? AND released_at IS NULL`).run(at, this.site, pool, name);
    return Promise.resolve();
  }

  /** Every row of the site, live and released, in the order they were written: the ledger's export. */
  rows(): LedgerRow[] {
    const rows = this.db.prepare(`SELECT pool, name, address, allocated_at, released_at FROM pool_allocations WHERE site = ? ORDER BY id`).all(this.site) as Row[];
    return rows.map((r) => ({ pool: r.pool, name: r.name, address: r.address, allocatedAt: r.allocated_at, releasedAt: r.released_at }));
  }

  /**
   * What importing `rows` would contradict: a live row for a name that lives here with another address, or
   * for an address another name holds here. Rows already here (same pool, name, address, times) are not.
   */
  importConflicts(rows: readonly LedgerRow[]): string[] {
    const live = this.db.prepare(`SELECT name, address FROM pool_allocations WHERE site = ? AND pool = ? AND released_at IS NULL AND (name = ? OR address = ?)`);
    const out: string[] = [];
    for (const r of rows) {
      if (r.releasedAt !== null) continue;
      for (const other of live.all(this.site, r.pool, r.name, r.address) as Row[]) {
        if (other.name === r.name && other.address === r.address) continue;
        out.push(`pool ${r.pool}: the import gives ${r.address} to ${r.name}, but here ${other.address} is allocated to ${other.name}`);
      }
    }
    return out;
  }

  /** Adds the rows not here yet; the caller holds the transaction and has checked importConflicts. */
  addRows(rows: readonly LedgerRow[]): number {
    const exists = this.db.prepare(
      `SELECT 1 FROM pool_allocations WHERE site = ? AND pool = ? AND name = ? AND address = ? AND allocated_at = ? AND released_at IS ?`,
    );
    // A live allocation already here (re-adopted since the export, say) is the same allocation, whenever it was recorded.
    const live = this.db.prepare(`SELECT 1 FROM pool_allocations WHERE site = ? AND pool = ? AND name = ? AND address = ? AND released_at IS NULL`);
    const insert = this.db.prepare(`INSERT INTO pool_allocations (site, pool, name, address, allocated_at, released_at) VALUES (?, ?, ?, ?, ?, ?)`);
    let added = 0;
    for (const r of rows) {
      if (exists.get(this.site, r.pool, r.name, r.address, r.allocatedAt, r.releasedAt)) continue;
      if (r.releasedAt === null && live.get(this.site, r.pool, r.name, r.address)) continue;
      insert.run(this.site, r.pool, r.name, r.address, r.allocatedAt, r.releasedAt);
      added += 1;
    }
    return added;
  }

  /** The ledger as a section of `underlay state export`. */
  section(): StateSection<LedgerRow> {
    return { name: 'poolAllocations', schema: LedgerRowSchema, rows: () => this.rows(), conflicts: (rows) => this.importConflicts(rows), add: (rows) => this.addRows(rows) };
  }
}
