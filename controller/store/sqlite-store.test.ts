import test from 'ava';
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { steppingClock } from '../clock.js';
import { MIGRATIONS, SCHEMA_VERSION, SqliteStore, stateDatabaseFile } from './sqlite-store.js';
import { defaultStateDir } from './state-dir.js';

const here = path.dirname(fileURLToPath(import.meta.url));

async function tempDb(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'underlay-store-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return stateDatabaseFile(path.join(dir, 'state'));
}

test('a new database is created under the state directory, migrated, in WAL with synchronous=FULL', async (t) => {
  const file = await tempDb(t);
  const store = SqliteStore.open({ file, site: 'lab', clock: steppingClock() });
  t.is(store.schemaVersion(), SCHEMA_VERSION);
  t.deepEqual(store.settings(), { journalMode: 'wal', synchronous: 2 });
  await store.close();
});

test('reopening keeps the data and does not re-run migrations', async (t) => {
  const file = await tempDb(t);
  const first = SqliteStore.open({ file, site: 'lab', clock: steppingClock() });
  const run = await first.beginRun({ revisionCommit: 'abc', planHash: 'h', nodes: [] });
  await first.finishRun(run.id, 'succeeded');
  await first.close();
  const second = SqliteStore.open({ file, site: 'lab', clock: steppingClock() });
  t.is(second.schemaVersion(), SCHEMA_VERSION);
  t.deepEqual(
    (await second.runs()).map((r) => [r.id, r.status]),
    [[run.id, 'succeeded']],
  );
  await second.close();
});

test('a database from a newer underlay is refused instead of misread', async (t) => {
  const file = await tempDb(t);
  await SqliteStore.open({ file, site: 'lab', clock: steppingClock() }).close();
  const raw = new Database(file);
  raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  raw.close();
  t.throws(() => SqliteStore.open({ file, site: 'lab', clock: steppingClock() }), { code: 'StateSchemaTooNew', message: /newer than this underlay/ });
});

test('runs carry the injected clock times, their status and conditions', async (t) => {
  const store = SqliteStore.open({ file: ':memory:', site: 'lab', clock: steppingClock('2025-03-01T10:00:00.000Z', 1000) });
  const run = await store.beginRun({ revisionCommit: 'abc', planHash: 'h1', nodes: [] });
  t.is(run.startedAt, '2025-03-01T10:00:00.000Z');
  const halted = { type: 'RolloutHalted', reason: 'FailureBudgetExceeded', message: '2 of 3 nodes failed', cluster: 'etcd' };
  await store.finishRun(run.id, 'halted', [halted]);
  t.deepEqual(await store.run(run.id), {
    id: run.id,
    revisionCommit: 'abc',
    planHash: 'h1',
    startedAt: '2025-03-01T10:00:00.000Z',
    finishedAt: '2025-03-01T10:00:01.000Z',
    status: 'halted',
    conditions: [halted],
  });
  await t.throwsAsync(store.finishRun(run.id, 'succeeded'), { message: /not running/ });
  await store.close();
});

test('in-flight changes are those started without an outcome', async (t) => {
  const store = SqliteStore.open({ file: ':memory:', site: 'lab', clock: steppingClock() });
  const run = await store.beginRun({ revisionCommit: 'abc', planHash: 'h', nodes: [] });
  const base = { runId: run.id, node: 'n1', action: 'create' as const, detail: null };
  await store.journal({ ...base, changeId: 'n1/a', key: 'a', phase: 'started' });
  await store.journal({ ...base, changeId: 'n1/a', key: 'a', phase: 'succeeded' });
  await store.journal({ ...base, changeId: 'n1/b', key: 'b', phase: 'started' });
  await store.journal({ ...base, changeId: 'n1/c', key: 'c', phase: 'skipped', detail: 'node failed' });
  t.deepEqual(
    (await store.inFlightOf(run.id)).map((e) => e.changeId),
    ['n1/b'],
  );
  t.deepEqual(
    (await store.journalOf(run.id)).map((e) => `${e.changeId} ${e.phase}`),
    ['n1/a started', 'n1/a succeeded', 'n1/b started', 'n1/c skipped'],
  );
  await store.close();
});

test('recovery marks runs of dead processes interrupted, and leaves a live process alone', async (t) => {
  const file = await tempDb(t);
  const alive = new Set([111]);
  const isProcessAlive = (pid: number): boolean => alive.has(pid);
  const live = SqliteStore.open({ file, site: 'lab', clock: steppingClock(), pid: 111, isProcessAlive });
  const dead = SqliteStore.open({ file, site: 'lab', clock: steppingClock(), pid: 222, isProcessAlive });
  const liveRun = await live.beginRun({ revisionCommit: 'a', planHash: 'h', nodes: [] });
  const deadRun = await dead.beginRun({ revisionCommit: 'b', planHash: 'h', nodes: [] });
  await dead.journal({ runId: deadRun.id, changeId: 'n/x', node: 'n', key: 'x', action: 'update', phase: 'started', detail: null });
  await dead.close();

  const next = SqliteStore.open({ file, site: 'lab', clock: steppingClock(), pid: 333, isProcessAlive });
  const recovered = await next.recoverInterruptedRuns();
  t.deepEqual(
    recovered.map((r) => [r.run.id, r.run.status, r.inFlight.map((e) => e.changeId)]),
    [[deadRun.id, 'interrupted', ['n/x']]],
  );
  t.is((await next.run(liveRun.id))?.status, 'running');
  t.deepEqual(await next.recoverInterruptedRuns(), [], 'recovery is reported once');
  await Promise.all([live.close(), next.close()]);
});

test('read-only: a missing database is refused and nothing is created', async (t) => {
  const file = await tempDb(t);
  t.throws(() => SqliteStore.openReadOnly({ file, site: 'lab', clock: steppingClock() }), { message: /directory does not exist/ });
  t.false(existsSync(path.dirname(file)), 'not even the state directory');
  await mkdir(path.dirname(file));
  t.throws(() => SqliteStore.openReadOnly({ file, site: 'lab', clock: steppingClock() }), { any: true, code: 'SQLITE_CANTOPEN' });
  t.deepEqual(readdirSync(path.dirname(file)), []);
});

test('read-only: runs of dead processes show as interrupted without being written; the next read-write open records it', async (t) => {
  const file = await tempDb(t);
  const isProcessAlive = (): boolean => false;
  const dead = SqliteStore.open({ file, site: 'lab', clock: steppingClock(), pid: 222, isProcessAlive });
  const run = await dead.beginRun({ revisionCommit: 'b', planHash: 'h', nodes: [] });
  await dead.journal({ runId: run.id, changeId: 'n/x', node: 'n', key: 'x', action: 'update', phase: 'started', detail: null });
  await dead.close();
  const before = readFileSync(file);

  const reader = SqliteStore.openReadOnly({ file, site: 'lab', clock: steppingClock(), pid: 333, isProcessAlive });
  t.deepEqual((await reader.recoverInterruptedRuns()).map((r) => [r.run.id, r.run.status, r.inFlight.map((e) => e.changeId)]), [[run.id, 'interrupted', ['n/x']]]);
  t.is((await reader.run(run.id))?.status, 'interrupted');
  t.deepEqual((await reader.runs()).map((r) => r.status), ['interrupted']);
  t.throws(() => void reader.beginRun({ revisionCommit: 'c', planHash: 'h', nodes: [] }), { any: true, code: 'SQLITE_READONLY' });
  await reader.close();
  // SQLite's WAL sidecars may be opened by any reader; the database itself is unchanged and the log empty.
  t.deepEqual(readFileSync(file), before, 'the database file is unchanged');
  t.is(existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0, 0, 'nothing was logged');

  const raw = new Database(file, { readonly: true });
  t.is((raw.prepare('SELECT status FROM runs WHERE id = ?').get(run.id) as { status: string }).status, 'running', 'nothing was written');
  raw.close();
  const writer = SqliteStore.open({ file, site: 'lab', clock: steppingClock(), pid: 444, isProcessAlive });
  t.deepEqual((await writer.recoverInterruptedRuns()).map((r) => r.run.id), [run.id]);
  await writer.close();
});

test('read-only: a database of another schema version is refused', async (t) => {
  const file = await tempDb(t);
  await SqliteStore.open({ file, site: 'lab', clock: steppingClock() }).close();
  const raw = new Database(file);
  raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  raw.close();
  t.throws(() => SqliteStore.openReadOnly({ file, site: 'lab', clock: steppingClock() }), { code: 'StateSchemaTooNew', message: /newer than this underlay/ });
});

test('the default state directory: $XDG_STATE_HOME/underlay, else /var/lib/underlay/controller for root, else ~/.local/state/underlay', (t) => {
  t.is(defaultStateDir({ XDG_STATE_HOME: '/x/state' }, 0, '/root'), '/x/state/underlay');
  t.is(defaultStateDir({ XDG_STATE_HOME: '/x/state', HOME: '/home/a' }, 1000, '/home/a'), '/x/state/underlay');
  t.is(defaultStateDir({}, 0, '/root'), '/var/lib/underlay/controller');
  t.is(defaultStateDir({ XDG_STATE_HOME: 'relative' }, 0, '/root'), '/var/lib/underlay/controller', 'a relative XDG_STATE_HOME is ignored, as XDG says');
  t.is(defaultStateDir({ HOME: '/home/a' }, 1000, '/nowhere'), '/home/a/.local/state/underlay');
  t.is(defaultStateDir({}, 1000, '/home/b'), '/home/b/.local/state/underlay');
});

test('node status counts consecutive failures and resets when the node converges', async (t) => {
  const store = SqliteStore.open({ file: ':memory:', site: 'lab', clock: steppingClock() });
  const r1 = await store.beginRun({ revisionCommit: 'c1', planHash: 'h', nodes: [] });
  await store.recordNodeOutcome(r1.id, 'c1', { node: 'n1', converged: true });
  const r2 = await store.beginRun({ revisionCommit: 'c2', planHash: 'h', nodes: [] });
  await store.recordNodeOutcome(r2.id, 'c2', { node: 'n1', converged: false, error: { code: 'ApplyFailed', message: 'boom' } });
  await store.recordNodeOutcome(r2.id, 'c2', { node: 'n2', converged: false, error: { code: 'Unreachable', message: 'down' } });
  const r3 = await store.beginRun({ revisionCommit: 'c3', planHash: 'h', nodes: [] });
  await store.recordNodeOutcome(r3.id, 'c3', { node: 'n1', converged: false, error: { code: 'Unhealthy', message: 'boom again' } });
  const statuses = await store.nodeStatuses();
  t.deepEqual(
    statuses.map((s) => [s.node, s.lastAppliedCommit, s.lastRunId, s.failures, s.lastError, s.lastErrorCode]),
    [
      ['n1', 'c1', r3.id, 2, 'boom again', 'Unhealthy'],
      ['n2', null, r2.id, 1, 'down', 'Unreachable'],
    ],
  );
  const r4 = await store.beginRun({ revisionCommit: 'c4', planHash: 'h', nodes: [] });
  await store.recordNodeOutcome(r4.id, 'c4', { node: 'n1', converged: true });
  const n1 = (await store.nodeStatuses()).find((s) => s.node === 'n1');
  t.deepEqual([n1?.lastAppliedCommit, n1?.failures, n1?.lastError, n1?.lastErrorCode], ['c4', 0, null, null]);
  await store.close();
});

test('a run keeps its node set; a run recorded before runs kept one has none (null), not an empty one', async (t) => {
  const file = await tempDb(t);
  const store = SqliteStore.open({ file, site: 'lab', clock: steppingClock() });
  const run = await store.beginRun({ revisionCommit: 'c1', planHash: 'h', nodes: ['n2', 'pool:vips', 'n1', 'n2'] });
  const empty = await store.beginRun({ revisionCommit: 'c2', planHash: 'h', nodes: [] });
  t.deepEqual(await store.runNodes(run.id), ['n1', 'n2', 'pool:vips']);
  t.deepEqual(await store.runNodes(empty.id), []);
  await store.close();
  // As a store of the first schema version left it: a run row without a node count.
  const raw = new Database(file);
  raw.prepare(`INSERT INTO runs (revision_commit, plan_hash, started_at, status) VALUES ('c0', 'h', 'then', 'succeeded')`).run();
  raw.close();
  const reopened = SqliteStore.openReadOnly({ file, site: 'lab', clock: steppingClock() });
  t.is(await reopened.runNodes(empty.id + 1), null);
  await reopened.close();
});

test('failures are journalled and recorded with their error code; rows from before codes keep a null code', async (t) => {
  const file = await tempDb(t);
  await mkdir(path.dirname(file), { recursive: true });
  // A database as the schema before error codes left it, with a failure recorded as text only.
  const old = new Database(file);
  for (const migration of MIGRATIONS.slice(0, SCHEMA_VERSION - 1)) {
    if (typeof migration === 'string') old.exec(migration);
    else migration(old, 'lab');
  }
  old.pragma(`user_version = ${SCHEMA_VERSION - 1}`);
  old.prepare(`INSERT INTO runs (id, site, revision_commit, plan_hash, started_at, status) VALUES (1, 'lab', 'c0', 'h', 'then', 'failed')`).run();
  old.prepare(`INSERT INTO journal (run_id, change_id, node, key, action, phase, detail, at) VALUES (1, 'n1/x', 'n1', 'x', 'create', 'failed', 'boom', 'then')`).run();
  old.prepare(`INSERT INTO node_status (site, node, last_run_id, failures, last_error, updated_at) VALUES ('lab', 'n1', 1, 1, 'unreachable: down', 'then')`).run();
  old.close();

  const store = SqliteStore.open({ file, site: 'lab', clock: steppingClock() });
  t.is(store.schemaVersion(), SCHEMA_VERSION);
  t.like((await store.journalOf(1))[0], { detail: 'boom', code: null });
  t.like((await store.nodeStatuses())[0], { lastError: 'unreachable: down', lastErrorCode: null });
  const run = await store.beginRun({ revisionCommit: 'c1', planHash: 'h', nodes: ['n1'] });
  await store.journal({ runId: run.id, changeId: 'n1/x', node: 'n1', key: 'x', action: 'create', phase: 'failed', detail: 'timed out', code: 'CommandTimeout' });
  await store.recordNodeOutcome(run.id, 'c1', { node: 'n1', converged: false, error: { code: 'CommandTimeout', message: 'n1/x: timed out' } });
  t.like((await store.journalOf(run.id))[0], { phase: 'failed', detail: 'timed out', code: 'CommandTimeout' });
  t.like((await store.nodeStatuses())[0], { failures: 2, lastError: 'n1/x: timed out', lastErrorCode: 'CommandTimeout' });
  await store.close();
});

/** Runs the writer fixture until it has acknowledged `acks` entries, then SIGKILLs it. */
function killWriterAfter(file: string, acks: number): Promise<{ lastAck: number; pid: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import=tsx', path.join(here, '..', '..', 'test', 'support', 'journal-writer.fixture.ts'), file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let lastAck = -1;
    let buffered = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const m = /^ack (\d+)$/.exec(line);
        if (m) lastAck = Number(m[1]);
      }
      if (lastAck >= acks && !child.killed) child.kill('SIGKILL');
    });
    child.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer ended without being killed: ${stderr}`));
      else resolve({ lastAck, pid: child.pid ?? -1 });
    });
  });
}

test('every acknowledged journal write survives SIGKILL of the writer mid-stream, and the file stays sound', async (t) => {
  const file = await tempDb(t);
  for (const acks of [50, 400, 1500]) {
    const { lastAck } = await killWriterAfter(file, acks);
    const store = SqliteStore.open({ file, site: 'lab', clock: steppingClock() });
    t.is(store.integrityCheck(), 'ok');
    const recovered = await store.recoverInterruptedRuns();
    t.is(recovered.length, 1, 'the killed run is found interrupted');
    const entries = recovered[0]?.inFlight ?? [];
    // The writer may have committed one more than it managed to report before dying, never fewer.
    t.true(entries.length >= lastAck + 1, `acknowledged ${lastAck + 1}, found ${entries.length}`);
    t.true(entries.length <= lastAck + 2);
    t.deepEqual(
      entries.slice(0, lastAck + 1).map((e) => e.key),
      Array.from({ length: lastAck + 1 }, (_, i) => `file:/etc/f${i}`),
    );
    await store.close();
  }
});
