/**
 * The IP pools' ledger: which address underlay allocated to which name in each pool, for one site. It is
 * the pool target's state (what observe reads and apply writes), and state that cannot be rebuilt from Git,
 * so every write is durable before it resolves: an address is recorded before anything uses it.
 *
 * A released allocation stays as history: resolve holds its address for the pool's `releaseAfter`
 * (controller/resolve/ip-allocation.ts), so the ledger says when, not for how long.
 */

export interface PoolAllocation {
  pool: string;
  /** '<cluster>.<address name>', or '<cluster>.<address name>.<node>' for a per-node address. */
  name: string;
  address: string;
  allocatedAt: string;
}

export interface ReleasedAllocation {
  pool: string;
  name: string;
  address: string;
  releasedAt: string;
}

/** One row of the ledger as `underlay state export` writes it: live when `releasedAt` is null. */
export interface LedgerRow {
  pool: string;
  name: string;
  address: string;
  allocatedAt: string;
  releasedAt: string | null;
}

export interface Ledger {
  /** The site's allocations not released, sorted by pool, then name. */
  poolAllocations(): Promise<PoolAllocation[]>;
  /**
   * For every name without a live allocation, its latest release whose address no name holds again:
   * what may still be held in a grace period. Sorted by pool, then name.
   */
  releasedAllocations(): Promise<ReleasedAllocation[]>;
  /**
   * Records `name` as holding `address` in `pool`. Idempotent (a crash may make apply do it twice); a name
   * that held another address holds this one from now on. Refused when another name of the site holds the
   * address in that pool: one address is never handed out twice, also not by two processes at once (one
   * write transaction, and a unique index the database enforces).
   */
  allocate(input: { pool: string; name: string; address: string }): Promise<void>;
  /** Marks the name's allocation released (kept as history). Idempotent. */
  release(input: { pool: string; name: string }): Promise<void>;
}
