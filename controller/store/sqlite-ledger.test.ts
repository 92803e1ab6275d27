import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { steppingClock } from '../clock.js';
import { SqliteStore, stateDatabaseFile } from './sqlite-store.js';

async function tempDb(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'underlay-ledger-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return stateDatabaseFile(path.join(dir, 'state'));
}

const live = async (store: SqliteStore) => (await store.ledger().poolAllocations()).map((a) => [a.pool, a.name, a.address]);

test('allocations survive reopening, are kept per site, and a release leaves only the others', async (t) => {
  const file = await tempDb(t);
  const lab = SqliteStore.open({ file, site: 'lab', clock: steppingClock() });
  await lab.ledger().allocate({ pool: 'vips', name: 'c.vip', address: '10.0.0.6' });
  await lab.ledger().allocate({ pool: 'vips', name: 'c.api', address: '10.0.0.4' });
  await lab.close();

  const other = SqliteStore.open({ file, site: 'other', clock: steppingClock() });
  // Another site of the same state directory has its own ledger: the same address is free there.
  await other.ledger().allocate({ pool: 'vips', name: 'x.vip', address: '10.0.0.6' });
  t.deepEqual(await live(other), [['vips', 'x.vip', '10.0.0.6']]);
  await other.close();

  const again = SqliteStore.open({ file, site: 'lab', clock: steppingClock() });
  t.deepEqual(await live(again), [['vips', 'c.api', '10.0.0.4'], ['vips', 'c.vip', '10.0.0.6']]);
  await again.ledger().release({ pool: 'vips', name: 'c.api' });
  await again.ledger().release({ pool: 'vips', name: 'c.api' });
  t.deepEqual(await live(again), [['vips', 'c.vip', '10.0.0.6']]);
  await again.close();
});

test('allocating again is idempotent, a name moves to a new address, and an address held by another name is refused', async (t) => {
  const store = SqliteStore.open({ file: await tempDb(t), site: 'lab', clock: steppingClock() });
  const ledger = store.ledger();
  await ledger.allocate({ pool: 'vips', name: 'c.vip', address: '10.0.0.6' });
  await ledger.allocate({ pool: 'vips', name: 'c.vip', address: '10.0.0.6' });
  t.deepEqual(await live(store), [['vips', 'c.vip', '10.0.0.6']]);
  await ledger.allocate({ pool: 'vips', name: 'c.vip', address: '10.0.0.5' });
  t.deepEqual(await live(store), [['vips', 'c.vip', '10.0.0.5']]);
  const error = await t.throwsAsync(ledger.allocate({ pool: 'vips', name: 'c.api', address: '10.0.0.5' }));
  t.is((error as Error & { code?: string }).code, 'AddressTaken');
  t.regex(error.message, /pool vips: 10\.0\.0\.5 is already allocated to c\.vip, not to c\.api/);
  t.deepEqual(await live(store), [['vips', 'c.vip', '10.0.0.5']]);
  await store.close();
});
