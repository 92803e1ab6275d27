import test from 'ava';
import { steppingClock } from '../clock.js';
import type { LockHolder, ProcessIdentity } from '../store/lock-holder.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { readLocksStatus, renderLocksText } from './locks-status.js';

const self: ProcessIdentity = { host: 'ctl-1', boot: 'b', pidNamespace: 'pid:[1]', pid: 1 };
const holder = (pid: number, run: number | null): LockHolder => ({ site: 'lab', host: 'ctl-1', boot: 'b', pidNamespace: 'pid:[1]', pid, run, since: '2025-01-01T00:00:00.000Z' });

test('status says who holds the site lock and which leases this site holds, and which of them are stale', async (t) => {
  const store = SqliteStore.open({ file: ':memory:', site: 'lab', clock: steppingClock(), process: self, isProcessAlive: () => true });
  t.is(renderLocksText(await readLocksStatus(store, self, () => true)), '\nLocks\n  site lab: not locked\n');

  await store.acquireSiteLock('a1', holder(42, 12));
  await store.recordLease('node1', { token: 'a1', node: 'node1', expiresAt: 1_735_689_660, holder: holder(42, 12) });
  const alive = await readLocksStatus(store, self, (pid) => pid === 42);
  t.is(
    renderLocksText(alive),
    '\nLocks\n  site lab: held by site lab, host ctl-1, pid 42, run 12, since 2025-01-01T00:00:00.000Z\n' +
      "  node1: leased by site lab, host ctl-1, pid 42, run 12, since 2025-01-01T00:00:00.000Z, until 2025-01-01T00:01:00.000Z by the node's clock\n",
  );
  const dead = await readLocksStatus(store, self, () => false);
  t.true(dead.siteLock?.stale);
  t.regex(renderLocksText(dead), /run 12, since 2025-01-01T00:00:00\.000Z \(its apply is no longer running: the next apply takes it over\)\n/);
  await store.close();
});
