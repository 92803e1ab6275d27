/**
 * The classic IPAM bug is two allocators handing out one address. Here two real processes (and two stores
 * in one process) allocate on one state directory at the same time, each picking the lowest free address
 * as a plan does; every address ends up with exactly one name.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { steppingClock } from '../clock.js';
import { SqliteStore, stateDatabaseFile } from './sqlite-store.js';

const run = promisify(execFile);
const fixture = fileURLToPath(new URL('./ledger-allocator.fixture.ts', import.meta.url));
const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));

test('two processes allocating at once on one state directory never hand out the same address', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'underlay-ledger-race-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  // The database exists before they start, as it does for two applies.
  await SqliteStore.open({ file: stateDatabaseFile(dir), site: 'lab', clock: steppingClock() }).close();
  const [a, b] = await Promise.all([run(tsx, [fixture, dir, 'a', '150']), run(tsx, [fixture, dir, 'b', '150'])]);
  const lines = [...a.stdout.trim().split('\n'), ...b.stdout.trim().split('\n')];
  t.is(lines.length, 300);
  const addresses = lines.map((l) => l.split('=')[1]);
  t.is(new Set(addresses).size, 300, 'every address once');
  const store = SqliteStore.open({ file: stateDatabaseFile(dir), site: 'lab', clock: steppingClock() });
  const ledger = await store.ledger().poolAllocations();
  await store.close();
  t.is(ledger.length, 300);
  t.is(new Set(ledger.map((r) => r.address)).size, 300);
});

test('two stores on one database: the second allocation of an address to another name is refused', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'underlay-ledger-two-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const one = SqliteStore.open({ file: stateDatabaseFile(dir), site: 'lab', clock: steppingClock() });
  const two = SqliteStore.open({ file: stateDatabaseFile(dir), site: 'lab', clock: steppingClock() });
  const results = await Promise.allSettled([one.ledger().allocate({ pool: 'lan', name: 'x', address: '10.1.0.1' }), two.ledger().allocate({ pool: 'lan', name: 'y', address: '10.1.0.1' })]);
  t.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
  t.is(((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason as { code: string }).code, 'AddressTaken');
  await one.close();
  await two.close();
});
