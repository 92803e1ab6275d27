import test from 'ava';
import { IPPoolSpec } from '../spec/schema.js';
import { poolUse, renderPoolUseText } from './pool-status.js';

const allocations = [
  { pool: 'lan', name: 'c.a', address: '10.0.0.10', allocatedAt: '2026-01-01T00:00:00.000Z' },
  { pool: 'lan', name: 'c.b', address: '10.0.0.11', allocatedAt: '2026-01-01T00:00:00.000Z' },
];
const released = [
  { pool: 'lan', name: 'c.old', address: '10.0.0.12', releasedAt: '2026-01-01T00:00:00.000Z' },
  { pool: 'lan', name: 'c.older', address: '10.0.0.13', releasedAt: '2025-12-01T00:00:00.000Z' },
];

test('with the pools from Git: used, held in grace (on the fixed clock) and free; without: used and released', (t) => {
  const pools = { lan: IPPoolSpec.parse({ cidr: '10.0.0.0/24', range: { start: '10.0.0.10', end: '10.0.0.19' }, reserved: ['10.0.0.19'] }), spare: IPPoolSpec.parse({ cidr: '10.0.1.0/30' }) };
  const use = poolUse({ allocations, released, pools, now: '2026-01-01T12:00:00.000Z' });
  t.deepEqual(use, [
    { pool: 'lan', used: 2, released: 2, heldInGrace: 1, free: 6 },
    { pool: 'spare', used: 0, released: 0, heldInGrace: 0, free: 2 },
  ]);
  t.is(poolUse({ allocations, released, pools, now: '2026-01-02T00:00:00.000Z' })[0]!.heldInGrace, 0, 'the 24h default has passed');
  t.is(renderPoolUseText(use), '\nPools\n  lan: 2 used, 1 held in grace, 6 free\n  spare: 0 used, 0 held in grace, 2 free\n');
  t.is(renderPoolUseText(poolUse({ allocations, released, now: '2026-01-01T12:00:00.000Z' })), '\nPools\n  lan: 2 used, 2 released (grace unknown without --repo)\n');
});
