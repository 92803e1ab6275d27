/**
 * A rollout SIGKILLed mid-batch resumes at the right batch: a child process rolls out the FAKE six-node
 * marker site of test/support/crash-rollout.fixture.ts two nodes at a time and is killed while it gates
 * batch 2 (its changes done, its gate not recorded). The next process, planning again from what is there,
 * gates batch 2's nodes first, goes on with batch 3, and never runs batch 1 again. Real hosts:
 * test/e2e/rollout-30-nodes.test.ts.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { steppingClock } from '../clock.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { ROLLOUT_NODES, rolloutMarker } from '../../test/support/fake-rollout-site.js';
import { startRolloutState } from '../rollout/rollout-state.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = path.join(here, '..', '..', 'test', 'support', 'crash-rollout.fixture.ts');

/** Runs the fixture; SIGKILLs it as soon as it prints `killAt` (or lets it finish). */
function runRollout(args: string[], killAt?: string, env: Record<string, string> = {}): Promise<{ lines: string[]; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import=tsx', fixture, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    const lines: string[] = [];
    let partial = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      const parts = (partial + d.toString()).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (killAt !== undefined && line.startsWith(killAt)) child.kill('SIGKILL');
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ lines, killed: true });
      else if (code === 0) resolve({ lines, killed: false });
      else reject(new Error(`rollout child exited ${code}: ${stderr}`));
    });
  });
}

const count = async (dir: string, id: string): Promise<number> => (await readFile(rolloutMarker(dir, id), 'utf8').catch(() => '')).split('\n').filter(Boolean).length;

test('SIGKILL while batch 2 is gated: the next process gates batch 2 first, then batch 3, and never re-runs batch 1', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'underlay-rollout-crash-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const markers = path.join(dir, 'nodes');
  await mkdir(markers);
  const db = path.join(dir, 'state', 'underlay.db');

  const first = await runRollout([db, markers, 'n3'], 'health n3');
  t.true(first.killed);
  t.deepEqual(first.lines.filter((l) => l.startsWith('gate ')), ['gate 1 n1,n2'], 'batch 1 passed its gates; batch 2 was killed in its gate');
  const store = SqliteStore.open({ file: db, site: 'lab', clock: steppingClock() });
  const killed = (await store.rolloutState('app'))!.state;
  t.like(killed, { status: 'running', batchesDone: [1] });
  t.deepEqual(killed.inFlight?.batch, 2);
  t.deepEqual([...(killed.inFlight?.changed ?? [])].sort(), ['n3', 'n4']);
  await store.close();

  const second = await runRollout([db, markers]);
  t.false(second.killed);
  t.true(second.lines.includes('done succeeded'), second.lines.join('\n'));
  const started = second.lines.filter((l) => l.startsWith('started ')).map((l) => l.split(' ')[1]);
  t.deepEqual(started.sort(), ['n5/file:/etc/app.conf', 'n5/service:app#restart', 'n6/file:/etc/app.conf', 'n6/service:app#restart']);
  t.deepEqual(second.lines.filter((l) => l.startsWith('gate ')), ['gate 2 n3,n4', 'gate 3 n5,n6'], 'the interrupted batch is gated first, then the rollout goes on counting');
  t.true(second.lines.includes('health n3 n3/service:app#restart'), 'batch 2 is gated on what it restarted, from the persisted state');
  for (const n of ROLLOUT_NODES) {
    t.is(await count(markers, `${n}/file:/etc/app.conf`), 1, `${n}'s file once`);
    t.is(await count(markers, `${n}/service:app#restart`), 1, `${n}'s restart once`);
  }
  const after = SqliteStore.open({ file: db, site: 'lab', clock: steppingClock() });
  t.like((await after.rolloutState('app'))?.state, { status: 'completed', batchesDone: [1, 2, 3], budget: { used: 0, allowed: 0 } });
  await after.close();
});

test('SIGKILL in the middle of a rollback: the next process gates the failed node again, rolls it back, halts, and never re-runs batch 1', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'underlay-rollback-crash-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const markers = path.join(dir, 'nodes');
  await mkdir(markers);
  await mkdir(path.join(dir, 'state'));
  const db = path.join(dir, 'state', 'underlay.db');
  // An earlier revision's rollout completed: the cluster's last good revision.
  const seed = SqliteStore.open({ file: db, site: 'lab', clock: steppingClock() });
  await seed.changeRolloutState('app', () => ({ state: { ...startRolloutState({ cluster: 'app', revision: 'g00d', failureBudget: 0 }), status: 'completed' } }));
  await seed.close();

  const first = await runRollout([db, markers], 'rollback-apply n3/', { FAIL_NODE: 'n3', HANG_ROLLBACK: '1' });
  t.true(first.killed);
  t.deepEqual(first.lines.filter((l) => l.startsWith('gate ')), ['gate 1 n1,n2', 'gate 2 n3,n4']);
  t.true(first.lines.includes('rollback 2 rolling back n3 to g00d'));

  const second = await runRollout([db, markers], undefined, { FAIL_NODE: 'n3' });
  t.false(second.killed);
  t.true(second.lines.includes('done halted'), second.lines.join('\n'));
  t.deepEqual(second.lines.filter((l) => l.startsWith('started ')), [], 'no forward change runs again, and batch 3 never starts');
  t.deepEqual(second.lines.filter((l) => l.startsWith('gate ')), ['gate 2 n3,n4'], 'the interrupted batch is gated again, then the breaker trips');
  t.true(second.lines.includes('rollback-apply n3/file:/etc/app.conf'));
  t.true(second.lines.includes('rollback 2 n3 healthy on g00d after the rollback'), second.lines.join('\n'));
  for (const n of ['n1', 'n2', 'n3', 'n4']) t.is(await count(markers, `${n}/service:app#restart`), 1, `${n}'s restart once`);
  t.is(await count(markers, 'n3/file:/etc/app.conf#rollback'), 1);
  const after = SqliteStore.open({ file: db, site: 'lab', clock: steppingClock() });
  const stored = await after.rolloutState('app');
  t.like(stored?.state, { status: 'halted', batchesDone: [1, 2], rolledBack: ['n3'], budget: { used: 1, allowed: 0 } });
  t.is(stored?.lastGoodRevision, 'g00d');
  await after.close();
});
