import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { steppingClock } from '../clock.js';
import { SqliteStore, stateDatabaseFile } from './sqlite-store.js';

test('site controls are kept per site in the state database, across connections', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'underlay-controls-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = stateDatabaseFile(dir);
  const lab = SqliteStore.open({ file, site: 'lab', clock: steppingClock() });
  t.deepEqual(lab.siteControls().get(), { suspended: false, approvedPlanHash: null });
  lab.siteControls().set({ suspended: true });
  lab.siteControls().set({ approvedPlanHash: 'abc' });
  await lab.close();
  const again = SqliteStore.open({ file, site: 'lab', clock: steppingClock() });
  const edge = SqliteStore.open({ file, site: 'edge', clock: steppingClock() });
  t.deepEqual(again.siteControls().get(), { suspended: true, approvedPlanHash: 'abc' });
  t.deepEqual(edge.siteControls().get(), { suspended: false, approvedPlanHash: null }, 'another site is not touched');
  await again.close();
  await edge.close();
});

test('retention drops old runs with their journals, never a running run, a node status\'s last run, or another site\'s', async (t) => {
  const clock = steppingClock('2025-01-01T00:00:00.000Z', 60_000);
  const lab = SqliteStore.open({ file: ':memory:', site: 'lab', clock });
  const ids: number[] = [];
  for (let i = 0; i < 5; i++) {
    const run = await lab.beginRun({ revisionCommit: `c${i}`, planHash: `h${i}`, nodes: ['n1'] });
    await lab.journal({ runId: run.id, changeId: 'n1/file:/a', node: 'n1', key: 'file:/a', action: 'update', phase: 'started', detail: null });
    if (i === 1) await lab.recordNodeOutcome(run.id, 'c1', { node: 'n1', converged: true });
    if (i < 4) await lab.finishRun(run.id, 'succeeded');
    ids.push(run.id);
  }
  // Keep the newest 2 (runs 4 and 5): run 1 and 3 go; run 2 is n1's last run, run 5 is still running.
  t.is(await lab.pruneRuns({ keep: 2, finishedBefore: new Date('2000-01-01T00:00:00Z') }), 2);
  t.deepEqual((await lab.runs()).map((r) => r.id), [ids[4], ids[3], ids[1]]);
  t.deepEqual(await lab.journalOf(ids[0]!), []);
  t.is((await lab.journalOf(ids[3]!)).length, 1);
  // By age: everything finished before now goes, except what must stay.
  t.is(await lab.pruneRuns({ keep: 100, finishedBefore: new Date('2030-01-01T00:00:00Z') }), 1);
  t.deepEqual((await lab.runs()).map((r) => r.id), [ids[4], ids[1]]);
  await lab.close();
});
