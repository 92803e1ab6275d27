/**
 * The order of an apply's locks: the site lock first, then the node leases; refused as a whole, with
 * whatever was taken given back. Real SQLite, the real lease script on FAKE local nodes (local-nodes.ts).
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { takeLease } from '../../reconcilers/node-lease.js';
import type { Clock, Timers } from '../clock.js';
import type { ProcessIdentity } from '../store/lock-holder.js';
import { SqliteStore, stateDatabaseFile } from '../store/sqlite-store.js';
import type { NodeEndpoint } from '../transport/transport.js';
import { takeApplyLocks, type ApplyLocksOptions } from './apply-locks.js';
import { localNodes } from './local-nodes.js';

const endpoint = (name: string): NodeEndpoint => ({ name, address: '127.0.0.1', port: 22, user: 'root', hostKey: 'ssh-ed25519 AAAA' });
const clock: Clock = { now: () => new Date('2025-01-01T00:00:00.000Z') };
const timers: Timers = { every: () => () => undefined, sleep: () => Promise.resolve() };
const proc = (pid: number): ProcessIdentity => ({ host: 'ctl-1', boot: 'b', pidNamespace: 'pid:[1]', pid });

async function setup(t: { teardown(fn: () => Promise<void>): void }) {
  const dir = await mkdtemp(path.join(tmpdir(), 'underlay-apply-locks-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const transport = localNodes(path.join(dir, 'nodes'));
  const file = stateDatabaseFile(path.join(dir, 'state'));
  const options = (pid: number): ApplyLocksOptions => ({
    store: SqliteStore.open({ file, site: 'lab', clock, process: proc(pid), isProcessAlive: () => true }),
    transport,
    endpoints: [endpoint('node1'), endpoint('node2')],
    lockTimeoutMs: 0,
    leaseTtlSeconds: 60,
    concurrency: 2,
    clock,
    timers,
    self: proc(pid),
    isProcessAlive: () => true,
  });
  return { transport, options };
}

test('the second apply of a state directory is refused at its site lock and touches no node', async (t) => {
  const { transport, options } = await setup(t);
  t.true((await takeApplyLocks(options(100))).held);
  const refused = await takeApplyLocks(options(200));
  t.false(refused.held);
  if (!refused.held) t.deepEqual(refused.errors.map((e) => e.code), ['SiteLocked']);
  if (!refused.held) t.regex(refused.errors.map((e) => e.message).join('\n'), /^site lab is locked in this state directory by another apply \(site lab, host ctl-1, pid 100, since 2025-01-01T00:00:00\.000Z\)/);
  t.true(existsSync(path.join(transport.stateDir('node1'), 'lease.json')), 'the first apply\'s lease is untouched');
});

test('a node leased by another machine refuses the whole apply; the site lock and the leases taken are given back', async (t) => {
  const { transport, options } = await setup(t);
  const holder = { site: 'lab', host: 'laptop', boot: 'x', pidNamespace: 'pid:[7]', pid: 7, run: 3, since: '2025-01-01T00:00:00.000Z' };
  await takeLease({ transport, node: endpoint('node2') }, { token: 'ffff', ttlSeconds: 600, holder });
  const mine = options(100);
  const refused = await takeApplyLocks(mine);
  t.false(refused.held);
  if (!refused.held) t.deepEqual(refused.errors.map((e) => e.code), ['NodeLeased']);
  if (!refused.held) t.deepEqual(refused.errors.map((e) => e.message.replace(/until \S+/, 'until T')), [
    "node2 is leased by site lab, host laptop, pid 7, run 3, since 2025-01-01T00:00:00.000Z, until T by the node's clock: wait for that apply to finish, give --lock-timeout DURATION to wait for it, or, if it is gone for good, run `underlay force-unlock --node node2`",
  ]);
  t.is(await mine.store.siteLock(), null);
  t.false(existsSync(path.join(transport.stateDir('node1'), 'lease.json')), 'node1\'s lease was given back');
  t.deepEqual(await mine.store.leases(), []);
});
