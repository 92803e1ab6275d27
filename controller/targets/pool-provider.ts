/**
 * An IP pool as a target: its state is the store's ledger (controller/store/ledger.ts), which is also what
 * says what underlay owns there (every live row is underlay's). Observe reads it; apply's ip changes
 * allocate and release in it (reconcilers/ip/effects.ts).
 */
import type { InventoryPool } from '../model/observed.js';
import type { Ledger } from '../store/ledger.js';

export interface PoolTargetProvider {
  /** Every pool of the site's ledger with its live allocations and its released ones (still held, maybe), by pool name. */
  observe(): Promise<Record<string, InventoryPool>>;
  ledger: Ledger;
}

export function ledgerPools(ledger: Ledger): PoolTargetProvider {
  return {
    ledger,
    async observe() {
      const pools: Record<string, InventoryPool> = {};
      for (const a of await ledger.poolAllocations()) (pools[a.pool] ??= { allocations: {} }).allocations[a.name] = a.address;
      for (const r of await ledger.releasedAllocations()) {
        const pool = (pools[r.pool] ??= { allocations: {} });
        (pool.released ??= {})[r.name] = { address: r.address, releasedAt: r.releasedAt };
      }
      return pools;
    },
  };
}
