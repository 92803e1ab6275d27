/**
 * The node lease's script, run with the local sh against a lease file in a temporary directory (the same
 * script a node runs; over SSH it is tested on real test hosts in test/e2e/locking).
 */
import test from 'ava';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LockHolder } from '../controller/store/lock-holder.js';
import { breakLease, releaseLease, takeLease } from './node-lease.js';
import type { NodeTarget } from './node-exec.js';
import { localTransport as local } from '../test/support/local-transport.js';


const target = (name: string): NodeTarget => ({ transport: local, node: { name, address: '127.0.0.1', port: 22, user: 'root', hostKey: 'ssh-ed25519 AAAA' } });
const holder = (site: string, pid: number): LockHolder => ({ site, host: 'ctl-1', boot: 'b', pidNamespace: 'pid:[1]', pid, run: null, since: '2025-01-01T00:00:00.000Z' });

async function leaseFile(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'underlay-lease-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return path.join(dir, 'underlay', 'lease.json');
}

test('a lease is taken, renewed by its holder, refused to another while it runs, and released only by its holder', async (t) => {
  const file = await leaseFile(t);
  const place = { path: file };
  const first = await takeLease(target('node1'), { token: 'aa11', ttlSeconds: 60, holder: holder('lab', 1) }, place);
  t.is(first.state, 'taken');
  if (first.state !== 'taken') return;
  t.is(first.lease.expiresAt, first.nodeNow + 60, 'expiry by the node clock');
  t.regex(await readFile(file, 'utf8'), /^\{"token":"aa11","node":"node1","expiresAt":\d+,"holder":\{"boot":"b",.*"since":"[^"]+","site":"lab"\}\}\n$/);

  const renewed = await takeLease(target('node1'), { token: 'aa11', ttlSeconds: 60, holder: { ...holder('lab', 1), run: 12 } }, place);
  t.is(renewed.state, 'renewed');
  const other = await takeLease(target('node1'), { token: 'bb22', ttlSeconds: 60, holder: holder('lab', 2) }, place);
  t.like(other, { state: 'held', current: { token: 'aa11', node: 'node1', holder: { pid: 1, run: 12 } } });

  t.like(await releaseLease(target('node1'), 'bb22', place), { state: 'not-held', current: { token: 'aa11' } });
  t.deepEqual(await releaseLease(target('node1'), 'aa11', place), { state: 'released' });
  t.like(await takeLease(target('node1'), { token: 'bb22', ttlSeconds: 60, holder: holder('lab', 2) }, place), { state: 'taken' });
});

test('an expired lease, or one whose holder is known dead, is taken over and the old one reported', async (t) => {
  const file = await leaseFile(t);
  const place = { path: file };
  await takeLease(target('node1'), { token: 'aa11', ttlSeconds: 0, holder: holder('lab', 1) }, place);
  const took = await takeLease(target('node1'), { token: 'bb22', ttlSeconds: 60, holder: holder('lab', 2) }, place);
  t.like(took, { state: 'took-over', previous: { token: 'aa11', holder: { pid: 1 } } });

  t.like(await takeLease(target('node1'), { token: 'cc33', ttlSeconds: 60, holder: holder('lab', 3) }, place), { state: 'held' });
  t.like(await takeLease(target('node1'), { token: 'cc33', ttlSeconds: 60, holder: holder('lab', 3), takeover: 'bb22' }, place), { state: 'took-over', previous: { token: 'bb22' } });
});

test('one apply leasing one machine under two node names finds the first: the machine is named twice', async (t) => {
  const place = { path: await leaseFile(t) };
  t.like(await takeLease(target('node1'), { token: 'aa11', ttlSeconds: 60, holder: holder('lab', 1) }, place), { state: 'taken' });
  t.like(await takeLease(target('node1-alias'), { token: 'aa11', ttlSeconds: 60, holder: holder('lab', 1) }, place), { state: 'same-machine', current: { node: 'node1' } });
  t.like(await releaseLease(target('node1-alias'), 'aa11', place), { state: 'not-held' }, 'the alias cannot release the lease of node1');
});

test('a lease file this format did not write is never taken over; force-unlock breaks any lease', async (t) => {
  const file = await leaseFile(t);
  const place = { path: file };
  await takeLease(target('node1'), { token: 'aa11', ttlSeconds: 60, holder: holder('lab', 1) }, place);
  await writeFile(file, '{"edited": "by hand"}\n');
  t.like(await takeLease(target('node1'), { token: 'bb22', ttlSeconds: 60, holder: holder('lab', 2) }, place), { state: 'unreadable', text: '{"edited": "by hand"}\n' });
  t.deepEqual(await breakLease(target('node1'), place), { state: 'broken', previous: undefined });
  t.deepEqual(await breakLease(target('node1'), place), { state: 'absent' });
  await takeLease(target('node1'), { token: 'bb22', ttlSeconds: 60, holder: holder('lab', 2) }, place);
  t.like(await breakLease(target('node1'), place), { state: 'broken', previous: { token: 'bb22' } });
});

test('takes racing for one lease: exactly one wins', async (t) => {
  const place = { path: await leaseFile(t) };
  const takes = await Promise.all(['a1', 'b2', 'c3', 'd4', 'e5', 'f6'].map((token, i) => takeLease(target('node1'), { token, ttlSeconds: 60, holder: holder('lab', i) }, place)));
  t.is(takes.filter((r) => r.state === 'taken').length, 1);
  t.is(takes.filter((r) => r.state === 'held').length, 5);
});
