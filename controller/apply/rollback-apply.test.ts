/**
 * Automatic rollback in apply (rollback-apply.ts, ADR 0026), against FAKE kind effects whose "nodes" hold a
 * version per file in memory, a FAKE health check that is healthy only on the good version, and a FAKE
 * rollback source standing in for load+resolve+observe+plan of the last good revision; a real SQLite store
 * in memory. Real hosts: test/e2e/etcd-broken-upgrade.test.ts.
 */
import test from 'ava';
import { steppingClock } from '../clock.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { applyPlan, type ApplyEvent, type ApplyPlanOptions } from './apply-plan.js';
import { change, fakeManagedRecord, fakeNodes, instantTimers, testPlan, unusedTransport } from '../../test/support/fake-apply.js';
import { startRolloutState } from '../rollout/rollout-state.js';
import { registry } from '../../reconcilers/registry.js';
import { APPLIED, type KindEffects } from '../../reconcilers/kind-effects.js';
import type { Change } from '../model/change.js';
import type { RollbackSource } from './rollback-apply.js';

const NODES = ['n1', 'n2', 'n3'];
const GOOD = 'g00d';

/** FAKE nodes: what each file holds (the `version` of its last applied change); a node is healthy unless its config holds `bad`. */
function fakeSite(opts: { badOnRollback?: string[] } = {}) {
  const log: string[] = [];
  const files = new Map<string, string>();
  const effects: KindEffects = {
    apply(ctx, c) {
      log.push(`apply ${c.id}${c.after?.argv ? ` ${JSON.stringify(c.after.argv)}` : ''}`);
      if (typeof c.after?.version === 'string') files.set(`${ctx.node.name}/${c.key}`, c.after.version);
      return Promise.resolve(APPLIED);
    },
    health(ctx) {
      log.push(`health ${ctx.node.name}`);
      const version = files.get(`${ctx.node.name}/file:/etc/app.conf`);
      const bad = version === 'bad' || (version === 'good' && opts.badOnRollback?.includes(ctx.node.name));
      return Promise.resolve(bad ? { healthy: false, message: `app: unknown flag --bad (${version})` } : { healthy: true });
    },
  };
  return { log, files, lookup: (kind: string) => (registry.nodeKind(kind) ? effects : undefined) };
}

const forward = (nodes: string[], extra: Change[] = []): Change[] => [
  ...nodes.flatMap((n) => [
    change(`${n}/file:/etc/app.conf`, { action: 'update', cluster: 'app', after: { version: 'bad' } }),
    change(`${n}/service:app#restart`, { action: 'restart', disruptive: true, cluster: 'app', dependsOn: [`${n}/file:/etc/app.conf`] }),
  ]),
  ...extra,
];

/** The FAKE last good revision: the good config and its restart on the asked node; the calls made of it. */
function goodSource(): RollbackSource & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    planNode(at) {
      asked.push(`${at.revision} ${at.cluster} ${at.node}`);
      return Promise.resolve(
        testPlan([
          change(`${at.node}/file:/etc/app.conf`, { action: 'update', cluster: 'app', after: { version: 'good' } }),
          change(`${at.node}/service:app#restart`, { action: 'restart', disruptive: true, cluster: 'app', dependsOn: [`${at.node}/file:/etc/app.conf`] }),
          // Another node's and an unowned change of the revision never reach the rolled-back node.
          change(`n9/file:/etc/app.conf`, { action: 'update', cluster: 'app', after: { version: 'good' } }),
        ]),
      );
    },
  };
}

async function setup(opts: { lastGood?: string; badOnRollback?: string[]; rollback?: null } = {}) {
  const site = fakeSite(opts);
  const events: ApplyEvent[] = [];
  const store = SqliteStore.open({ file: ':memory:', site: 'lab', clock: steppingClock() });
  if (opts.lastGood) {
    const done = { ...startRolloutState({ cluster: 'app', revision: opts.lastGood, failureBudget: 0 }), status: 'completed' as const, batchesDone: [1, 2, 3] };
    await store.changeRolloutState('app', () => ({ state: done }));
  }
  const source = opts.rollback === null ? undefined : goodSource();
  const base: Omit<ApplyPlanOptions, 'plan'> = {
    nodes: fakeNodes(NODES),
    transport: unusedTransport,
    registry,
    effects: site.lookup,
    managedRecord: fakeManagedRecord(site.log),
    store,
    clock: steppingClock(),
    timers: instantTimers(),
    concurrency: 2,
    onEvent: (e) => events.push(e),
    ...(source ? { rollback: source } : {}),
  };
  return { ...site, events, store, base, source };
}

const policy = { maxUnavailable: 1, rollback: 'failed-nodes' as const, progressDeadlineSeconds: 1 };
const rolloutOf = (batches: string[][] = [['n1'], ['n2'], ['n3']]) => [{ cluster: 'app', batches, failureBudget: 0, policy }];
const rollbackLines = (events: ApplyEvent[]) => events.flatMap((e) => (e.type === 'rollback' ? [`${e.node}: ${e.message}`] : []));

test('a node that fails its gates goes back to the last good revision alone, is gated again, and the breaker still trips', async (t) => {
  const s = await setup({ lastGood: GOOD });
  const result = await applyPlan({ ...s.base, plan: testPlan(forward(NODES), rolloutOf()) });
  t.is(result.status, 'halted');
  t.deepEqual(s.source?.asked, [`${GOOD} app n1`], 'only the failed node, at the last good revision');
  const log = s.log.filter((l) => !l.startsWith('record'));
  t.deepEqual(log, ['apply n1/file:/etc/app.conf', 'apply n1/service:app#restart', 'health n1', 'apply n1/file:/etc/app.conf', 'apply n1/service:app#restart', 'health n1'], 'n2 and n3 are never touched; n9 of the revision neither');
  t.is(s.files.get('n1/file:/etc/app.conf'), 'good');
  t.deepEqual(rollbackLines(s.events), [
    `n1: rolling back n1 to ${GOOD}`,
    `n1: rollback to ${GOOD}: update file:/etc/app.conf on n1`,
    `n1: rollback to ${GOOD}: restart service:app on n1`,
    `n1: n1 rolled back to ${GOOD}`,
    `n1: n1 healthy on ${GOOD} after the rollback`,
  ]);
  const halted = result.conditions[0]!;
  t.is(halted.type, 'RolloutHalted');
  t.regex(halted.message, /1 node\(s\) failed \(n1\), failure budget is 0; 2 remaining batch\(es\) not started \[n1: service-up failed "[^"]*app: unknown flag --bad \(bad\)" \(rolled back to g00d, healthy\)\]/);
  const stored = await s.store.rolloutState('app');
  t.like(stored?.state, { status: 'halted', reason: 'FailureBudgetExceeded', batchesDone: [1], budget: { used: 1, allowed: 0 }, rolledBack: ['n1'] });
  t.deepEqual(stored?.state.failed[0]?.rollback, { outcome: 'rolled-back', revision: GOOD, message: `rolled back to ${GOOD}, healthy` });
  t.is(stored?.lastGoodRevision, GOOD, 'a halted rollout does not make its revision good');
});

test('the rollback is journalled like any change, each entry naming the revision', async (t) => {
  const s = await setup({ lastGood: GOOD });
  const result = await applyPlan({ ...s.base, plan: testPlan(forward(NODES), rolloutOf()) });
  const journal = await s.store.journalOf(result.runId);
  const rollback = journal.filter((e) => e.changeId.endsWith('#rollback')).map((e) => [e.changeId, e.phase, e.detail]);
  t.deepEqual(rollback, [
    ['n1/file:/etc/app.conf#rollback', 'started', `rollback to ${GOOD}`],
    ['n1/file:/etc/app.conf#rollback', 'succeeded', `rollback to ${GOOD}`],
    ['n1/service:app#restart#rollback', 'started', `rollback to ${GOOD}`],
    ['n1/service:app#restart#rollback', 'succeeded', `rollback to ${GOOD}`],
  ]);
  t.deepEqual(await s.store.inFlightOf(result.runId), [], 'every rollback step finished in the journal');
  t.true(s.log.includes('record n1 file:/etc/app.conf hash-of-n1/file:/etc/app.conf applyPending=true'), 'the managed record is kept around the rollback\'s changes');
  t.true(s.log.includes('record n1 file:/etc/app.conf (hash kept) applyPending=false'), 'and the write confirmed after it');
});

test('a node whose rollback fails its gates stays down, and the state and the halt say so', async (t) => {
  const s = await setup({ lastGood: GOOD, badOnRollback: ['n1'] });
  const result = await applyPlan({ ...s.base, plan: testPlan(forward(NODES), rolloutOf()) });
  t.is(result.status, 'halted');
  t.deepEqual(rollbackLines(s.events).slice(-1), [`n1: rollback of n1 failed its gates: n1 stays down (its gates after the rollback: service-up failed "service:app: app: unknown flag --bad (good)")`]);
  const stored = await s.store.rolloutState('app');
  t.deepEqual(stored?.state.rolledBack, []);
  t.is(stored?.state.failed[0]?.rollback?.outcome, 'failed');
  t.regex(result.conditions[0]!.message, /\(rollback to g00d failed: its gates after the rollback: .*; stays down\)/);
});

test('a first rollout has no last good revision: nothing is rolled back, and output and state say why', async (t) => {
  const s = await setup();
  const result = await applyPlan({ ...s.base, plan: testPlan(forward(NODES), rolloutOf()) });
  t.is(result.status, 'halted');
  t.deepEqual(s.source?.asked, [], 'no revision is read');
  t.deepEqual(rollbackLines(s.events), ['n1: n1 not rolled back (no last good revision: no rollout of cluster app has completed yet)']);
  const stored = await s.store.rolloutState('app');
  t.deepEqual(stored?.state.failed[0]?.rollback, { outcome: 'not-rolled-back', message: 'not rolled back (no last good revision: no rollout of cluster app has completed yet)' });
  t.regex(result.conditions[0]!.message, /\(not rolled back \(no last good revision/);
  t.is(s.files.get('n1/file:/etc/app.conf'), 'bad', 'left as it is');
});

test('an install with nothing disruptive that converged is the last good revision: the first rollout after it rolls back to it', async (t) => {
  const s = await setup();
  const install = testPlan(NODES.map((n) => change(`${n}/file:/etc/app.conf`, { action: 'create', cluster: 'app', after: { version: 'good' } })), rolloutOf([]));
  const installed = await applyPlan({ ...s.base, plan: install });
  t.is(installed.status, 'succeeded');
  t.like(await s.store.rolloutState('app'), { lastGoodRevision: install.revision.commit, state: { status: 'completed' } });
  const broken = testPlan(forward(NODES), rolloutOf());
  await applyPlan({ ...s.base, plan: { ...broken, revision: { ...broken.revision, commit: 'br0ken' } } });
  t.deepEqual(s.source?.asked, [`${install.revision.commit} app n1`], 'n1 goes back to the install');
  t.is(s.files.get('n1/file:/etc/app.conf'), 'good');
});

test('rollback: none leaves a failed node as it is, as before', async (t) => {
  const s = await setup({ lastGood: GOOD });
  await applyPlan({ ...s.base, plan: testPlan(forward(NODES), [{ cluster: 'app', batches: [['n1'], ['n2'], ['n3']], failureBudget: 0, policy: { ...policy, rollback: 'none' } }]) });
  t.deepEqual(s.source?.asked, []);
  t.deepEqual(rollbackLines(s.events), []);
  t.is((await s.store.rolloutState('app'))?.state.failed[0]?.rollback, undefined);
});

test('guarded commands that ran roll back by their rollback argv, last first; one without is skipped and says so', async (t) => {
  const s = await setup({ lastGood: GOOD });
  const commands = [
    change('n1/command:migrate', { action: 'run', cluster: 'app', after: { argv: ['/usr/bin/migrate', 'up'], name: 'migrate', rollback: ['/usr/bin/migrate', 'down'] } }),
    change('n1/command:reindex', { action: 'run', cluster: 'app', after: { argv: ['/usr/bin/reindex'], name: 'reindex' }, dependsOn: ['n1/command:migrate'] }),
  ];
  const changes = forward(NODES).map((c) => (c.id === 'n1/file:/etc/app.conf' ? { ...c, dependsOn: ['n1/command:reindex'] } : c));
  const result = await applyPlan({ ...s.base, plan: testPlan([...changes, ...commands], rolloutOf()) });
  t.true(s.log.includes('apply n1/command:migrate#undo ["/usr/bin/migrate","down"]'));
  t.false(s.log.some((l) => l.startsWith('apply n1/command:reindex#')), 'no rollback argv: not run');
  t.true(s.log.indexOf('apply n1/command:migrate#undo ["/usr/bin/migrate","down"]') < s.log.lastIndexOf('apply n1/file:/etc/app.conf'), 'commands are undone before the revision is re-applied');
  t.deepEqual(rollbackLines(s.events).slice(1, 3), ['n1: command:reindex on n1 not rolled back (no rollback argv)', `n1: rollback to ${GOOD}: run command:migrate on n1 (its rollback argv)`]);
  const journal = await s.store.journalOf(result.runId);
  t.like(journal.find((e) => e.changeId === 'n1/command:reindex#undo'), { phase: 'skipped', detail: `rollback to ${GOOD}: not rolled back (no rollback argv)`, code: 'NoRollbackArgv' });
  t.like(journal.filter((e) => e.changeId === 'n1/command:migrate#undo').map((e) => e.phase), ['started', 'succeeded']);
  // Pending: the node no longer holds what the hash stands for, so the next run of the command is no drift.
  t.true(s.log.includes('record n1 command:migrate (hash kept) applyPending=true'), 'the rollback argv\'s run retires its marker and keeps the recorded hash');
});

test('no rollback source: the failed node is not rolled back, and it says why', async (t) => {
  const s = await setup({ lastGood: GOOD, rollback: null });
  await applyPlan({ ...s.base, plan: testPlan(forward(NODES), rolloutOf()) });
  t.deepEqual(rollbackLines(s.events), [`n1: n1 not rolled back (this apply cannot read revision ${GOOD}: no rollback source)`]);
});
