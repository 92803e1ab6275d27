/**
 * Each IP pool's use for `underlay status`: addresses allocated, released ones still held in their grace
 * period, and free ones. The ledger says what is allocated and when what was released; how big a pool is
 * and how long it holds a release are in Git, so free and held need the site's pools (`status --repo`).
 */
import type { IPPoolDoc } from '../spec/schema.js';
import { durationMs, poolLayout } from '../spec/ip-pool.js';
import type { PoolAllocation, ReleasedAllocation } from '../store/ledger.js';
import { byCodeUnit } from '../model/order.js';

export interface PoolUse {
  pool: string;
  used: number;
  /** Released within the pool's releaseAfter: not handed out yet. Absent without the pool's document. */
  heldInGrace?: number;
  /** Allocatable addresses neither used nor held (reserved and gateway not counted). Absent without the pool's document. */
  free?: number;
  /** Released and not live again, whatever their grace. */
  released: number;
}

export interface PoolUseInput {
  allocations: readonly PoolAllocation[];
  released: readonly ReleasedAllocation[];
  /** The site's pools from Git, when known. */
  pools?: Readonly<Record<string, IPPoolDoc['spec']>>;
  now: string;
}

function withSpec(use: PoolUse, spec: IPPoolDoc['spec'], released: readonly ReleasedAllocation[], now: string): PoolUse {
  const { layout } = poolLayout(spec);
  if (!layout) return use;
  const held = released.filter((r) => Date.parse(r.releasedAt) + durationMs(spec.releaseAfter) > Date.parse(now)).length;
  const size = Number(layout.last - layout.first + 1n) - new Set(layout.reserved.filter((r) => r >= layout.first && r <= layout.last)).size;
  return { ...use, heldInGrace: held, free: Math.max(0, size - use.used - held) };
}

export function poolUse(input: PoolUseInput): PoolUse[] {
  const names = new Set([...input.allocations.map((a) => a.pool), ...input.released.map((r) => r.pool), ...Object.keys(input.pools ?? {})]);
  return [...names].sort(byCodeUnit).map((pool) => {
    const released = input.released.filter((r) => r.pool === pool);
    const use: PoolUse = { pool, used: input.allocations.filter((a) => a.pool === pool).length, released: released.length };
    const spec = input.pools?.[pool];
    return spec ? withSpec(use, spec, released, input.now) : use;
  });
}

export function renderPoolUseText(pools: readonly PoolUse[]): string {
  if (pools.length === 0) return '';
  const lines = ['', 'Pools'];
  for (const p of pools) {
    const held = p.heldInGrace === undefined ? `${p.released} released (grace unknown without --repo)` : `${p.heldInGrace} held in grace`;
    lines.push(`  ${p.pool}: ${p.used} used, ${held}${p.free === undefined ? '' : `, ${p.free} free`}`);
  }
  return lines.join('\n') + '\n';
}
