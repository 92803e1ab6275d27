import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { steppingClock } from '../../clock.js';
import { startRolloutState, type RolloutState } from '../../rollout/rollout-state.js';
import { SqliteStore, stateDatabaseFile } from '../../store/sqlite-store.js';
import { main } from '../main.js';

const work = mkdtempSync(path.join(tmpdir(), 'underlay-state-cli-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), cwd: work, env: {} });
  return { code, stdout, stderr };
}

async function ledgerIn(dir: string, site: string, fill: (store: SqliteStore) => Promise<void>): Promise<void> {
  const store = SqliteStore.open({ file: stateDatabaseFile(path.join(work, dir)), site, clock: steppingClock() });
  await fill(store);
  await store.close();
}

const live = async (dir: string, site: string): Promise<string[][]> => {
  const store = SqliteStore.open({ file: stateDatabaseFile(path.join(work, dir)), site, clock: steppingClock() });
  const rows = (await store.ledger().poolAllocations()).map((a) => [a.pool, a.name, a.address]);
  await store.close();
  return rows;
};

test('state export, then import into an empty state directory: the same live and released allocations; importing again adds nothing', async (t) => {
  await ledgerIn('a', 'lab', async (s) => {
    await s.ledger().allocate({ pool: 'vips', name: 'c.vip', address: '10.0.0.6' });
    await s.ledger().allocate({ pool: 'vips', name: 'c.old', address: '10.0.0.7' });
    await s.ledger().release({ pool: 'vips', name: 'c.old' });
  });
  t.is((await cli(['state', 'export', '--state-dir', 'a', '--out', 'lab.json'])).code, 0);
  const exported = JSON.parse(readFileSync(path.join(work, 'lab.json'), 'utf8')) as { site: string; sections: { poolAllocations: unknown[] } };
  t.is(exported.site, 'lab');
  t.is(exported.sections.poolAllocations.length, 2);

  const imported = await cli(['state', 'import', 'lab.json', '--state-dir', 'b']);
  t.is(imported.code, 0, imported.stderr);
  t.regex(imported.stdout, /site lab: imported into a new state at .*\(issuedCertificates: 0 added, poolAllocations: 2 added, rollouts: 0 added\)/);
  t.deepEqual(await live('b', 'lab'), [['vips', 'c.vip', '10.0.0.6']]);
  const store = SqliteStore.open({ file: stateDatabaseFile(path.join(work, 'b')), site: 'lab', clock: steppingClock() });
  t.deepEqual((await store.ledger().releasedAllocations()).map((r) => [r.name, r.address]), [['c.old', '10.0.0.7']]);
  await store.close();
  t.regex((await cli(['state', 'import', 'lab.json', '--state-dir', 'b'])).stdout, /poolAllocations: 0 added/);
  // The same live allocation recorded at another time here (re-adopted after the state was lost) is no conflict and no second row.
  await ledgerIn('f', 'lab', async (s) => {
    await s.ledger().allocate({ pool: 'vips', name: 'c.other', address: '10.0.0.20' });
    await s.ledger().allocate({ pool: 'vips', name: 'c.vip', address: '10.0.0.6' });
  });
  const readopted = await cli(['state', 'import', 'lab.json', '--state-dir', 'f']);
  t.is(readopted.code, 0, readopted.stderr);
  t.regex(readopted.stdout, /poolAllocations: 1 added/);
  t.deepEqual(await live('f', 'lab'), [['vips', 'c.other', '10.0.0.20'], ['vips', 'c.vip', '10.0.0.6']]);
});

test('an import that contradicts the ledger is refused, naming each conflict, and writes nothing', async (t) => {
  await ledgerIn('c', 'lab', async (s) => s.ledger().allocate({ pool: 'vips', name: 'c.vip', address: '10.0.0.6' }));
  await ledgerIn('d', 'lab', async (s) => {
    await s.ledger().allocate({ pool: 'vips', name: 'c.api', address: '10.0.0.6' });
    await s.ledger().allocate({ pool: 'vips', name: 'c.vip', address: '10.0.0.9' });
  });
  t.is((await cli(['state', 'export', '--state-dir', 'd', '--out', 'd.json'])).code, 0);
  const result = await cli(['state', 'import', 'd.json', '--state-dir', 'c']);
  t.is(result.code, 1);
  t.regex(result.stderr, /StateImportConflict|nothing imported/);
  t.regex(result.stderr, /the import gives 10\.0\.0\.6 to c\.api, but here 10\.0\.0\.6 is allocated to c\.vip/);
  t.regex(result.stderr, /the import gives 10\.0\.0\.9 to c\.vip, but here 10\.0\.0\.6 is allocated to c\.vip/);
  t.deepEqual(await live('c', 'lab'), [['vips', 'c.vip', '10.0.0.6']]);
});

test('a file that is not an export, or has a section this underlay does not know, is refused', async (t) => {
  writeFileSync(path.join(work, 'junk.json'), '{"kind": "Inventory"}');
  const junk = await cli(['state', 'import', 'junk.json', '--state-dir', 'e']);
  t.is(junk.code, 1);
  t.regex(junk.stderr, /not a state export/);
  writeFileSync(path.join(work, 'odd.json'), JSON.stringify({ apiVersion: 'underlay.dev/v1alpha1', kind: 'StateExport', site: 'lab', exportedAt: 'x', sections: { tapes: [] } }));
  t.regex((await cli(['state', 'import', 'odd.json', '--state-dir', 'e'])).stderr, /sections this underlay does not know: tapes/);
});

/** A rollout of cluster etcd halted by its breaker in batch 2, with an operator's pause asked, after revision good1 completed. */
async function haltedRollout(dir: string, revision = 'bad2'): Promise<void> {
  await ledgerIn(dir, 'lab', async (s) => {
    const good: RolloutState = { ...startRolloutState({ cluster: 'etcd', revision: 'good1', failureBudget: 0 }), status: 'completed', batchesDone: [1, 2, 3] };
    await s.changeRolloutState('etcd', () => ({ state: good }));
    const halted: RolloutState = {
      ...startRolloutState({ cluster: 'etcd', revision, failureBudget: 0 }),
      status: 'halted',
      reason: 'FailureBudgetExceeded',
      batchesDone: [1, 2],
      failed: [{ node: 'node2', batch: 2, gates: [{ gate: 'quorum', result: 'timeout', output: 'unhealthy member' }] }],
      budget: { used: 1, allowed: 0 },
    };
    await s.changeRolloutState('etcd', () => ({ state: halted, request: 'pause' }));
  });
}

const rolloutsIn = async (dir: string) => {
  const store = SqliteStore.open({ file: stateDatabaseFile(path.join(work, dir)), site: 'lab', clock: steppingClock() });
  const rows = await store.rolloutStates();
  await store.close();
  return rows;
};

test('the rollouts travel with an export: a halted rollout stays halted, with its failed nodes, budget spent and the last good revision', async (t) => {
  await haltedRollout('r1');
  t.is((await cli(['state', 'export', '--state-dir', 'r1', '--out', 'r1.json'])).code, 0);
  const exported = JSON.parse(readFileSync(path.join(work, 'r1.json'), 'utf8')) as { sections: { rollouts: { cluster: string; lastGoodRevision: string; state: RolloutState }[] } };
  t.is(exported.sections.rollouts.length, 1);
  t.like(exported.sections.rollouts[0], { cluster: 'etcd', lastGoodRevision: 'good1', state: { revision: 'bad2', status: 'halted' } });

  const imported = await cli(['state', 'import', 'r1.json', '--state-dir', 'r2']);
  t.is(imported.code, 0, imported.stderr);
  t.regex(imported.stdout, /rollouts: 1 added/);
  const [before, after] = [await rolloutsIn('r1'), await rolloutsIn('r2')];
  t.deepEqual(after, before, 'the same state, request, last good revision and time');
  t.like(after[0], { request: 'pause', lastGoodRevision: 'good1', state: { status: 'halted', batchesDone: [1, 2], budget: { used: 1, allowed: 0 }, failed: [{ node: 'node2', gates: [{ gate: 'quorum' }] }] } });
  t.regex((await cli(['state', 'import', 'r1.json', '--state-dir', 'r2'])).stdout, /rollouts: 0 added/, 'the same rows again: nothing to add, no conflict');
});

test('an import whose rollout of a cluster contradicts the one here is refused, naming both, and writes nothing', async (t) => {
  await haltedRollout('r3', 'bad2');
  await haltedRollout('r4', 'fix3');
  await ledgerIn('r4', 'lab', (s) => s.ledger().allocate({ pool: 'vips', name: 'c.vip', address: '10.0.0.6' }).then(() => undefined));
  t.is((await cli(['state', 'export', '--state-dir', 'r4', '--out', 'r4.json'])).code, 0);
  const result = await cli(['state', 'import', 'r4.json', '--state-dir', 'r3']);
  t.is(result.code, 1);
  t.regex(result.stderr, /the rollout of cluster etcd is here already \(revision bad2 halted, batches done \[1, 2\], last good good1\), in the export \(revision fix3 halted, batches done \[1, 2\], last good good1\)/);
  t.is((await rolloutsIn('r3'))[0]?.state.revision, 'bad2', 'the rollout here is untouched');
  t.deepEqual(await live('r3', 'lab'), [], 'nor was any other section imported');
});

test('a rollout row an export holds that a resume could not read is refused', async (t) => {
  const doc = { apiVersion: 'underlay.dev/v1alpha1', kind: 'StateExport', site: 'lab', exportedAt: 'x', sections: { rollouts: [{ cluster: 'etcd', state: { cluster: 'etcd', revision: 'r', status: 'melted' }, request: null, lastGoodRevision: null, updatedAt: 'x' }] } };
  writeFileSync(path.join(work, 'bad-rollout.json'), JSON.stringify(doc));
  const result = await cli(['state', 'import', 'bad-rollout.json', '--state-dir', 'r5']);
  t.is(result.code, 1);
  t.regex(result.stderr, /section rollouts: .*status/);
});
