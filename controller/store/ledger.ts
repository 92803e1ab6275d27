/**
 * The IP pools' ledger: which address underlay allocated to which name in each pool, for one site. It is
 * the pool target's state (what observe reads and apply writes), and state that cannot be rebuilt from Git,
 * so every write is durable before it resolves: an address is recorded before anything uses it.
 *
 * Grace periods and conflict detection are the services issue's (issue 9); this keeps what is allocated.
 */

export interface PoolAllocation {
  pool: string;
  /** '<cluster>.<address name>'. */
  name: string;
  address: string;
  allocatedAt: string;
}

export interface Ledger {
  /** The site's allocations not released, sorted by pool, then name. */
  poolAllocations(): Promise<PoolAllocation[]>;
  /**
   * Records `name` as holding `address` in `pool`. Idempotent (a crash may make apply do it twice); a name
   * that held another address holds this one from now on. Refused when another name of the site holds the
   * address in that pool: one address is never handed out twice.
   */
  allocate(input: { pool: string; name: string; address: string }): Promise<void>;
  /** Marks the name's allocation released (kept as history). Idempotent. */
  release(input: { pool: string; name: string }): Promise<void>;
}
