/**
 * Apply carrying out the plan's rollout intents, against FAKE kind effects and a FAKE managed record
 * (test/support/fake-apply.ts) and a real SQLite store in memory; real hosts in test/e2e/rollout-30-nodes.test.ts.
 */
import test from 'ava';
import { steppingClock } from '../clock.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { applyPlan, type ApplyEvent, type ApplyPlanOptions } from './apply-plan.js';
import { change, fakeManagedRecord, fakeNodes, fakeEffects, instantTimers, testPlan, unusedTransport, type FakeBehaviour } from '../../test/support/fake-apply.js';
import { controlRollout } from '../rollout/rollout-control.js';
import { startRolloutState } from '../rollout/rollout-state.js';
import { stoppedRollouts } from './cluster-rollouts.js';
import { registry } from '../../reconcilers/registry.js';

function setup(nodes: string[], behaviour: FakeBehaviour = {}, extra: Partial<ApplyPlanOptions> = {}) {
  const log: string[] = [];
  const events: ApplyEvent[] = [];
  const store = SqliteStore.open({ file: ':memory:', site: 'lab', clock: steppingClock() });
  const effects = fakeEffects(log, behaviour);
  const base = {
    nodes: fakeNodes(nodes),
    transport: unusedTransport,
    registry,
    effects: effects.lookup,
    managedRecord: fakeManagedRecord(log),
    store,
    clock: steppingClock(),
    concurrency: 4,
    onEvent: (e: ApplyEvent) => events.push(e),
    ...extra,
  };
  return { log, events, store, base };
}

test('only disruptive changes and what they wait for on their node go batch by batch; the rest is not held back', async (t) => {
  const s = setup(['n1', 'n2']);
  const changes = ['n1', 'n2'].flatMap((n) => [
    change(`${n}/file:/etc/app.conf`, { action: 'update', cluster: 'app' }),
    change(`${n}/service:app#restart`, { action: 'restart', disruptive: true, cluster: 'app', dependsOn: [`${n}/file:/etc/app.conf`] }),
    change(`${n}/file:/etc/motd`, { action: 'update', cluster: 'app' }),
  ]);
  const result = await applyPlan({ ...s.base, plan: testPlan(changes, [{ cluster: 'app', batches: [['n1'], ['n2']], failureBudget: 0 }]) });
  t.is(result.status, 'succeeded');
  const log = s.log.filter((l) => !l.startsWith('record'));
  const at = (line: string) => log.indexOf(line);
  t.true(at('apply n2/file:/etc/motd') < at('health n1'), 'the unrelated file of batch 2 does not wait for batch 1');
  t.true(at('apply n2/file:/etc/app.conf') > at('health n1'), 'the file the restart is for goes in the restart\'s batch');
  t.true(at('apply n2/service:app#restart') > at('health n1'));
});

const restartsOf = (nodes: string[]) =>
  nodes.flatMap((n) => [
    change(`${n}/file:/etc/app.conf`, { action: 'update', cluster: 'app' }),
    change(`${n}/service:app#restart`, { action: 'restart', disruptive: true, cluster: 'app', dependsOn: [`${n}/file:/etc/app.conf`] }),
  ]);

const fiveNodes = ['n1', 'n2', 'n3', 'n4', 'n5'];

test('the rollout state is persisted: batches done, the budget used across the rollout, the failed node with its gate and output; completed marks the revision good', async (t) => {
  const s = setup(fiveNodes, { unhealthy: ['n2'] }, { timers: instantTimers() });
  const plan = testPlan(restartsOf(fiveNodes), [{ cluster: 'app', batches: [['n1'], ['n2', 'n3'], ['n4', 'n5']], failureBudget: 1, policy: { maxUnavailable: 3, progressDeadlineSeconds: 2, soakSeconds: 30 } }]);
  const result = await applyPlan({ ...s.base, plan });
  t.is(result.status, 'failed', 'n2 failed, within the budget: the rollout went on');
  const stored = await s.store.rolloutState('app');
  t.like(stored?.state, { status: 'completed', revision: 'c0mmit', batchesDone: [1, 2, 3], budget: { used: 1, allowed: 1 } });
  t.deepEqual(stored?.state.failed, [{ node: 'n2', batch: 2, gates: [{ gate: 'service-up', result: 'timeout', output: 'not healthy within the progress deadline of 2s (2 tries): service:app: service down (fake)' }] }]);
  t.is(stored?.state.inFlight, undefined);
  t.is(stored?.lastGoodRevision, 'c0mmit');
  t.true(s.log.includes('apply n5/service:app#restart'));
});

test('soaks wait on the injected timers after each batch but the last; a failing gate is tried again until the deadline', async (t) => {
  const timers = instantTimers();
  const s = setup(['n1', 'n2', 'n3'], { unhealthy: ['n3'] }, { timers });
  const plan = testPlan(restartsOf(['n1', 'n2', 'n3']), [{ cluster: 'app', batches: [['n1'], ['n2'], ['n3']], failureBudget: 1, policy: { maxUnavailable: 2, soakSeconds: 45, progressDeadlineSeconds: 3 } }]);
  await applyPlan({ ...s.base, plan });
  t.deepEqual(timers.slept, [45_000, 45_000, 1000, 1000], 'two soaks, then two retries of n3 within its 3 s deadline');
});

test('the breaker trips on the budget across the whole rollout: halted, RolloutHalted names nodes, gate and output, the rest is not started', async (t) => {
  const s = setup(fiveNodes, { fail: ['n1/service:app#restart'], unhealthy: ['n3'] }, { timers: instantTimers() });
  const plan = testPlan(restartsOf(fiveNodes), [{ cluster: 'app', batches: [['n1'], ['n2', 'n3'], ['n4', 'n5']], failureBudget: 1, policy: { maxUnavailable: 3, progressDeadlineSeconds: 1 } }]);
  const result = await applyPlan({ ...s.base, plan });
  t.is(result.status, 'halted');
  t.is(result.conditions[0]?.type, 'RolloutHalted');
  t.regex(result.conditions[0]!.message, /2 node\(s\) failed \(n1, n3\), failure budget is 1; 1 remaining batch\(es\) not started \[n1: change failed .*fake failure.*; n3: service-up failed "service:app: service down \(fake\)"\]/);
  t.false(s.log.some((l) => l.includes('n4') || l.includes('n5')));
  t.like((await s.store.rolloutState('app'))?.state, { status: 'halted', reason: 'FailureBudgetExceeded', batchesDone: [1, 2], budget: { used: 2, allowed: 1 } });
});

test('a halted rollout of the revision is refused until resumed; resumed, it goes on at the next batch, never re-running a batch that passed, and not retrying its failed nodes', async (t) => {
  const nodes = ['n1', 'n2', 'n3'];
  const s = setup(nodes, { fail: ['n2/service:app#restart'] }, { timers: instantTimers() });
  const plan = testPlan(restartsOf(nodes), [{ cluster: 'app', batches: [['n1'], ['n2'], ['n3']], failureBudget: 0, policy: { maxUnavailable: 2 } }]);
  t.is((await applyPlan({ ...s.base, plan })).status, 'halted');
  const refused = await stoppedRollouts(s.store, plan);
  t.is(refused[0]?.type, 'RolloutHalted');
  t.regex(refused[0]!.message, /rollout of cluster app at c0mmit is halted \(FailureBudgetExceeded\) after batch\(es\) 1, 2; failed: n2: change failed .*: run `underlay rollout resume --cluster app`/);

  const resume = controlRollout(await s.store.rolloutState('app'), 'app', { action: 'resume' });
  t.true(resume.ok);
  if (resume.ok) await s.store.changeRolloutState('app', () => resume.write);
  t.deepEqual(await stoppedRollouts(s.store, plan), []);
  // Planned again, as apply does: n1 matches now, so only n2 (failed) and n3 are left.
  s.log.length = 0;
  const again = testPlan(restartsOf(['n2', 'n3']), [{ cluster: 'app', batches: [['n2'], ['n3']], failureBudget: 0, policy: { maxUnavailable: 2 } }]);
  const events: ApplyEvent[] = [];
  const result = await applyPlan({ ...s.base, plan: again, onEvent: (e) => events.push(e) });
  t.false(s.log.some((l) => l.startsWith('apply n2')), 'the failed node is not retried in the same rollout');
  t.true(s.log.includes('apply n3/service:app#restart'));
  t.deepEqual(events.filter((e) => e.type === 'batch-gate').map((e) => e.type === 'batch-gate' && e.batch), [3, 4], 'numbered after the batches done');
  const n2 = result.results.find((r) => r.id === 'n2/service:app#restart');
  t.is(n2?.outcome === 'skipped' ? n2.code : n2?.outcome, 'FailedInRollout');
  t.like((await s.store.rolloutState('app'))?.state, { status: 'completed', batchesDone: [1, 2, 3, 4], budget: { used: 1, allowed: 0 } });
});

test('an operator\'s pause is taken up before the next batch; the rollout stays paused, and a new commit starts a new rollout', async (t) => {
  const nodes = ['n1', 'n2', 'n3'];
  const s = setup(nodes, {}, { timers: instantTimers() });
  const plan = testPlan(restartsOf(nodes), [{ cluster: 'app', batches: [['n1'], ['n2'], ['n3']], failureBudget: 0 }]);
  // The pause arrives while batch 1 runs (another process writes it).
  const during = setup(nodes, {
    during: async (c) => {
      if (c.id !== 'n1/service:app#restart') return;
      const asked = controlRollout(await during.store.rolloutState('app'), 'app', { action: 'pause' });
      if (asked.ok) await during.store.changeRolloutState('app', () => asked.write);
    },
  }, { timers: instantTimers() });
  const result = await applyPlan({ ...during.base, plan });
  t.is(result.status, 'halted');
  t.like(result.conditions[0], { type: 'RolloutPaused', reason: 'PausedByOperator' });
  t.true(during.log.includes('apply n1/service:app#restart'));
  t.false(during.log.some((l) => l.includes('n2') || l.includes('n3')));
  t.like((await during.store.rolloutState('app'))?.state, { status: 'paused', batchesDone: [1] });
  t.is((await during.store.rolloutState('app'))?.request, null, 'the request was acted on');
  // A new commit: a new rollout of what does not match it, with a fresh budget.
  const next = { ...testPlan(restartsOf(['n2', 'n3']), [{ cluster: 'app', batches: [['n2'], ['n3']], failureBudget: 0 }]), revision: { ...plan.revision, commit: 'f1x' } };
  t.deepEqual(await stoppedRollouts(during.store, next), []);
  t.is((await applyPlan({ ...during.base, plan: next })).status, 'succeeded');
  t.like((await during.store.rolloutState('app'))?.state, { revision: 'f1x', status: 'completed', batchesDone: [1, 2] });
  t.is(s.log.length, 0);
});

test('an abort asked for while the rollout runs stops it before its next batch, and says where the nodes are', async (t) => {
  const nodes = ['n1', 'n2', 'n3'];
  const plan = testPlan(restartsOf(nodes), [{ cluster: 'app', batches: [['n1'], ['n2'], ['n3']], failureBudget: 0 }]);
  const s = setup(nodes, {
    during: async (c) => {
      if (c.id !== 'n1/service:app#restart') return;
      const asked = controlRollout(await s.store.rolloutState('app'), 'app', { action: 'abort' });
      if (asked.ok) await s.store.changeRolloutState('app', () => asked.write);
    },
  }, { timers: instantTimers() });
  const result = await applyPlan({ ...s.base, plan });
  t.like(result.conditions[0], { type: 'RolloutAborted', reason: 'AbortedByOperator' });
  t.regex(result.conditions[0]!.message, /nodes left as they are: the nodes of batch\(es\) 1 are at c0mmit \(failed: none; rolled back: none\).*the nodes of later batches were not touched; it stays aborted/);
  t.false(s.log.some((l) => l.includes('n2') || l.includes('n3')));
  t.deepEqual(await stoppedRollouts(s.store, plan).then((c) => c.map((x) => x.type)), ['RolloutAborted'], 'apply of the revision is refused');
});

test('abort of a stopped rollout leaves the nodes as they are and says where each is', (t) => {
  const state = { ...startRolloutState({ cluster: 'app', revision: 'c0mmit', failureBudget: 0 }), status: 'halted' as const, batchesDone: [1, 2], failed: [{ node: 'n2', batch: 2, gates: [] }], budget: { used: 1, allowed: 0 } };
  const decision = controlRollout({ state, request: null }, 'app', { action: 'abort' });
  t.true(decision.ok);
  t.is(decision.message, 'rollout of cluster app at c0mmit aborted; nodes left as they are: the nodes of batch(es) 1, 2 are at c0mmit (failed: n2; rolled back: none); changed in batch - before it was gated: none; the nodes of later batches were not touched');
  t.false(controlRollout({ state: { ...state, status: 'completed' }, request: null }, 'app', { action: 'abort' }).ok);
  t.false(controlRollout({ state: { ...state, status: 'running' }, request: null }, 'app', { action: 'resume' }).ok);
  t.false(controlRollout({ state, request: null }, 'app', { action: 'resume', recovered: ['n9'] }).ok);
});

test('a node this rollout failed counts against maxUnavailable: the next batch that would pass it is not started, the rollout pauses', async (t) => {
  const nodes = ['n1', 'n2', 'n3'];
  const s = setup(nodes, { fail: ['n1/service:app#restart'] }, { timers: instantTimers() });
  const plan = testPlan(restartsOf(nodes), [{ cluster: 'app', batches: [['n1'], ['n2'], ['n3']], failureBudget: 1 }]);
  const result = await applyPlan({ ...s.base, plan });
  t.like(result.conditions[0], { type: 'RolloutPaused', reason: 'MaxUnavailableReached' });
  t.regex(result.conditions[0]!.message, /paused before batch 2 \(n2\): 1 member\(s\) down \(n1\), the batch would make 2, maxUnavailable is 1/);
  t.false(s.log.some((l) => l.includes('n2')));
});

test('nodes the plan holds (members already down use up maxUnavailable) are skipped, not changed', async (t) => {
  const s = setup(['n1', 'n2'], {}, { timers: instantTimers() });
  const plan = testPlan(restartsOf(['n2']), [{ cluster: 'app', batches: [], failureBudget: 0 }]);
  const held = { ...plan, rollout: [{ ...plan.rollout[0]!, members: 2, unavailable: ['n1'], held: ['n2'] }] };
  const result = await applyPlan({ ...s.base, plan: held });
  t.deepEqual(result.results.map((r) => [r.id, r.outcome, r.outcome === 'skipped' ? r.cause : '']), [
    ['n2/file:/etc/app.conf', 'skipped', 'rollout-held'],
    ['n2/service:app#restart', 'skipped', 'rollout-held'],
  ]);
  t.false(s.log.some((l) => l.startsWith('apply')));
});

test('never two disruptive batches on one node at once: a batch with a node another cluster batches waits for that batch\'s gate', async (t) => {
  const s = setup(['n1', 'n2', 'n3'], {}, { timers: instantTimers() });
  const restart = (id: string, cluster: string) => change(id, { action: 'restart', disruptive: true, cluster });
  const plan = testPlan(
    [restart('n1/service:a#restart', 'a'), restart('n2/service:a#restart', 'a'), restart('n2/service:b#restart', 'b'), restart('n3/service:b#restart', 'b')],
    [
      { cluster: 'a', batches: [['n1'], ['n2']], failureBudget: 0 },
      { cluster: 'b', batches: [['n2'], ['n3']], failureBudget: 0 },
    ],
  );
  t.is((await applyPlan({ ...s.base, plan })).status, 'succeeded');
  const log = s.log.filter((l) => l.startsWith('apply'));
  t.deepEqual(log, ['apply n1/service:a#restart', 'apply n2/service:a#restart', 'apply n2/service:b#restart', 'apply n3/service:b#restart'], 'b\'s batch 1 (n2) waits for a\'s batch 2 (n2) to pass');
});
