/**
 * The pool ledger in the embedded store (ledger.ts): a `pool_allocations` table keyed by site, pool and name.
 * A released row stays with its `released_at`; only one live row per (site, pool, name) and per (site, pool,
 * address), which the database itself enforces with partial unique indexes.
 */
import type Database from 'better-sqlite3';
import type { Clock } from '../clock.js';
import { UnderlayError } from '../model/errors.js';
import type { Ledger, PoolAllocation } from './ledger.js';

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

  allocate({ pool, name, address }: { pool: string; name: string; address: string }): Promise<void> {
    const at = this.clock.now().toISOString();
    // One transaction, committed with synchronous=FULL (the store's setting): on disk when this resolves.
    const write = this.db.transaction(() => {
      const holder = this.db
        .prepare(`SELECT name FROM pool_allocations WHERE site = ? AND pool = ? AND address = ? AND released_at IS NULL`)
        .get(this.site, pool, address) as { name: string } | undefined;
      if (holder && holder.name !== name) throw addressTaken(pool, address, holder.name, name);
      if (holder) return;
      this.db.prepare(`UPDATE pool_allocations SET released_at = ? WHERE site = ? AND pool = ? AND name = ? AND released_at IS NULL`).run(at, this.site, pool, name);
      this.db.prepare(`INSERT INTO pool_allocations (site, pool, name, address, allocated_at) VALUES (?, ?, ?, ?, ?)`).run(this.site, pool, name, address, at);
    });
    try {
      write();
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return Promise.resolve();
  }

  release({ pool, name }: { pool: string; name: string }): Promise<void> {
    const at = this.clock.now().toISOString();
    this.db.prepare(`UPDATE pool_allocations SET released_at = ? WHERE site = ? AND pool = ? AND name = ? AND released_at IS NULL`).run(at, this.site, pool, name);
    return Promise.resolve();
  }
}
