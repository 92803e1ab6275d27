/**
 * The store's site dimension and its site lock (ADR 0008), on real SQLite files: two connections stand for
 * two apply processes on one state directory.
 */
import test from 'ava';
import Database from 'better-sqlite3';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { steppingClock } from '../clock.js';
import type { LockHolder, NodeLease, ProcessIdentity } from './lock-holder.js';
import { MIGRATIONS, SCHEMA_VERSION, SqliteStore, stateDatabaseFile } from './sqlite-store.js';

async function tempDb(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'underlay-store-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return stateDatabaseFile(path.join(dir, 'state'));
}

const machine = { host: 'ctl-1', boot: 'boot-a', pidNamespace: 'pid:[1]' };
const proc = (pid: number, extra: Partial<ProcessIdentity> = {}): ProcessIdentity => ({ ...machine, pid, ...extra });
const holder = (site: string, p: ProcessIdentity): LockHolder => ({ site, ...p, run: null, since: '2025-01-01T00:00:00.000Z' });

test('one database, many sites: each connection sees only its own runs, node status and journal', async (t) => {
  const file = await tempDb(t);
  const lab = SqliteStore.open({ file, site: 'lab', clock: steppingClock() });
  const prod = SqliteStore.open({ file, site: 'prod', clock: steppingClock() });
  const labRun = await lab.beginRun({ revisionCommit: 'l1', planHash: 'h', nodes: [] });
  const prodRun = await prod.beginRun({ revisionCommit: 'p1', planHash: 'h', nodes: [] });
  await lab.journal({ runId: labRun.id, changeId: 'n1/x', node: 'n1', key: 'x', action: 'create', phase: 'started', detail: null });
  await lab.recordNodeOutcome(labRun.id, 'l1', { node: 'n1', converged: true });
  await prod.recordNodeOutcome(prodRun.id, 'p1', { node: 'n1', converged: false, error: { code: 'ApplyFailed', message: 'boom' } });

  t.deepEqual((await lab.runs()).map((r) => r.revisionCommit), ['l1']);
  t.deepEqual((await prod.runs()).map((r) => r.revisionCommit), ['p1']);
  t.deepEqual((await lab.nodeStatuses()).map((n) => [n.node, n.failures]), [['n1', 0]], 'the same node name is another node in another site');
  t.deepEqual((await prod.nodeStatuses()).map((n) => [n.node, n.failures]), [['n1', 1]]);
  t.is(await prod.run(labRun.id), null);
  t.deepEqual(await prod.journalOf(labRun.id), []);
  t.deepEqual(await prod.inFlightOf(labRun.id), []);
  await t.throwsAsync(prod.finishRun(labRun.id, 'succeeded'), { message: /not running/ });
  t.deepEqual(SqliteStore.sitesIn(file), ['lab', 'prod']);
  await Promise.all([lab.close(), prod.close()]);
});

test('a database from before sites is migrated: its history becomes the site of the first apply that opens it', async (t) => {
  const file = await tempDb(t);
  // Schema version 1 as it shipped, with a run and a node's status in it.
  await mkdir(path.dirname(file), { recursive: true });
  const raw = new Database(file);
  raw.exec(MIGRATIONS[0] as string);
  raw.exec(`INSERT INTO runs (revision_commit, plan_hash, started_at, finished_at, status, pid) VALUES ('old', 'h', 't0', 't1', 'succeeded', 1);
    INSERT INTO node_status VALUES ('n1', 'old', 1, 0, NULL, 't1');`);
  raw.pragma('user_version = 1');
  raw.close();

  const lab = SqliteStore.open({ file, site: 'lab', clock: steppingClock() });
  t.is(lab.schemaVersion(), SCHEMA_VERSION);
  t.deepEqual((await lab.runs()).map((r) => [r.id, r.revisionCommit, r.status]), [[1, 'old', 'succeeded']]);
  t.deepEqual((await lab.nodeStatuses()).map((n) => [n.node, n.lastAppliedCommit]), [['n1', 'old']]);
  await lab.recordNodeOutcome((await lab.beginRun({ revisionCommit: 'new', planHash: 'h', nodes: [] })).id, 'new', { node: 'n1', converged: true });
  t.deepEqual((await lab.nodeStatuses()).map((n) => [n.node, n.lastAppliedCommit]), [['n1', 'new']], 'one row per site and node');
  await lab.close();
  const other = SqliteStore.open({ file, site: 'other', clock: steppingClock() });
  t.deepEqual(await other.runs(), [], 'a later site adopts nothing');
  await other.close();
});

test('the site lock: one holder per site; a second apply is refused and told who holds it; another site is not', async (t) => {
  const file = await tempDb(t);
  const alive = (): boolean => true;
  const first = SqliteStore.open({ file, site: 'lab', clock: steppingClock(), process: proc(100), isProcessAlive: alive });
  const second = SqliteStore.open({ file, site: 'lab', clock: steppingClock(), process: proc(200), isProcessAlive: alive });
  const prod = SqliteStore.open({ file, site: 'prod', clock: steppingClock(), process: proc(300), isProcessAlive: alive });

  t.deepEqual(await first.acquireSiteLock('t1', holder('lab', proc(100))), { acquired: true });
  t.deepEqual(await first.acquireSiteLock('t1', holder('lab', proc(100))), { acquired: true }, 'its own token holds it already');
  t.deepEqual(await second.acquireSiteLock('t2', holder('lab', proc(200))), { acquired: false, lock: { token: 't1', holder: holder('lab', proc(100)) } });
  t.deepEqual(await prod.acquireSiteLock('t3', holder('prod', proc(300))), { acquired: true });

  await first.attachRunToSiteLock('t1', 7);
  await second.attachRunToSiteLock('t2', 8);
  t.is((await second.siteLock())?.holder.run, 7, 'only the holder names its run');
  await second.releaseSiteLock('t2');
  t.is((await first.siteLock())?.token, 't1', 'another token cannot release it');
  await first.releaseSiteLock('t1');
  t.is(await first.siteLock(), null);
  t.deepEqual(await second.acquireSiteLock('t2', holder('lab', proc(200))), { acquired: true });
  await Promise.all([first.close(), second.close(), prod.close()]);
});

test('a lock whose holder provably died is taken over and reported; one that may live is not', async (t) => {
  const file = await tempDb(t);
  const store = (pid: number, alive: number[]) =>
    SqliteStore.open({ file, site: 'lab', clock: steppingClock(), process: proc(pid), isProcessAlive: (p) => alive.includes(p) });
  const dead = holder('lab', proc(100));
  const first = store(100, [100]);
  await first.acquireSiteLock('t1', dead);
  await first.close();

  const next = store(200, [200]);
  t.deepEqual(await next.acquireSiteLock('t2', holder('lab', proc(200))), { acquired: true, replaced: { token: 't1', holder: dead } });
  const rebooted = store(300, [200, 300]);
  const fromEarlierBoot = { ...holder('lab', proc(200)), boot: 'boot-b' };
  await rebooted.breakSiteLock();
  await rebooted.acquireSiteLock('t3', fromEarlierBoot);
  t.like(await rebooted.acquireSiteLock('t4', holder('lab', proc(300))), { acquired: true, replaced: { token: 't3' } }, 'the machine restarted since');

  for (const live of [
    { ...holder('lab', proc(999)), host: 'ctl-2' },
    { ...holder('lab', proc(999)), pidNamespace: 'pid:[2]' },
  ]) {
    await rebooted.breakSiteLock();
    await rebooted.acquireSiteLock('other', live);
    t.like(await rebooted.acquireSiteLock('t5', holder('lab', proc(300))), { acquired: false }, `${live.host} ${live.pidNamespace}: its pid means nothing here`);
  }
  await Promise.all([next.close(), rebooted.close()]);
});

test('force-unlock breaks the lock whoever holds it; recorded leases are per site and node', async (t) => {
  const store = SqliteStore.open({ file: ':memory:', site: 'lab', clock: steppingClock(), process: proc(1), isProcessAlive: () => true });
  await store.acquireSiteLock('t1', holder('lab', proc(2)));
  t.like(await store.breakSiteLock(), { token: 't1' });
  t.is(await store.breakSiteLock(), null);
  const lease: NodeLease = { token: 'ab', node: 'node1', expiresAt: 1_700_000_060, holder: holder('lab', proc(1)) };
  await store.recordLease('node1', lease);
  await store.recordLease('node2', { ...lease, node: 'node2' });
  await store.recordLease('node1', { ...lease, expiresAt: 1_700_000_080 });
  t.deepEqual((await store.leases()).map((l) => [l.node, l.expiresAt]), [['node1', 1_700_000_080], ['node2', 1_700_000_060]]);
  await store.recordLease('node2', null);
  t.deepEqual((await store.leases()).map((l) => l.node), ['node1']);
  await store.close();
});
