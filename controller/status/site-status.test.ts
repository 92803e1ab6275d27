/**
 * Status from real store contents, produced by the apply engine with FAKE kind effects (see
 * test/support/fake-apply.ts), so the conditions are checked against what apply really records.
 */
import test from 'ava';
import { applyPlan } from '../apply/apply-plan.js';
import { change, fakeManagedRecord, fakeNodes, fakeEffects, testPlan, unusedTransport } from '../../test/support/fake-apply.js';
import { steppingClock } from '../clock.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { readSiteStatus } from './read-site-status.js';
import { renderSiteStatusText, type SiteStatus } from './site-status.js';
import { registry } from '../../reconcilers/registry.js';
import { controlRollout } from '../rollout/rollout-control.js';

const rolling = (nodes: string[]) =>
  testPlan(
    nodes.flatMap((n) => [
      change(`${n}/file:/etc/app.conf`, { action: 'update', cluster: 'app' }),
      change(`${n}/service:app#restart`, { action: 'restart', disruptive: true, cluster: 'app', dependsOn: [`${n}/file:/etc/app.conf`] }),
    ]),
    [{ cluster: 'app', batches: nodes.map((n) => [n]), failureBudget: 0 }],
  );

async function applied(fail: string[], nodes: string[]) {
  const log: string[] = [];
  const store = SqliteStore.open({ file: ':memory:', site: 'lab', clock: steppingClock('2025-05-01T00:00:00.000Z') });
  const plan = rolling(nodes);
  await applyPlan({
    plan,
    nodes: fakeNodes(nodes),
    transport: unusedTransport,
    registry,
    effects: fakeEffects(log, { fail }).lookup,
    managedRecord: fakeManagedRecord(log),
    store,
    clock: steppingClock(),
    concurrency: 2,
  });
  return { store, plan };
}

const conditionsOf = (status: SiteStatus, node: string) =>
  status.nodes.find((n) => n.name === node)?.conditions.map((c) => `${c.type}=${c.status} ${c.reason}`);

test('a converged site is Ready everywhere', async (t) => {
  const { store, plan } = await applied([], ['n1', 'n2']);
  const status = await readSiteStatus(store, { clusters: { app: ['n1', 'n2'] } });
  t.deepEqual(conditionsOf(status, 'n1'), ['Ready=True Converged']);
  t.deepEqual(status.clusters[0]?.conditions.map((c) => `${c.type}=${c.status} ${c.reason}: ${c.message}`), [
    'Ready=True AllNodesReady: 2 node(s) ready',
  ]);
  t.is(status.lastRun?.planHash, plan.hash);
});

test('a halted rollout is loud on the cluster, the failed node says why, the untouched nodes are pending', async (t) => {
  const { store } = await applied(['n1/service:app#restart'], ['n1', 'n2', 'n3']);
  const status = await readSiteStatus(store, { clusters: { app: ['n1', 'n2', 'n3'] } });
  t.deepEqual(conditionsOf(status, 'n1'), ['Failed=True ApplyFailed', 'Ready=False ApplyFailed']);
  t.deepEqual(conditionsOf(status, 'n2'), ['Pending=True RolloutHalted', 'Ready=False RolloutHalted']);
  const cluster = status.clusters[0];
  t.deepEqual(cluster?.conditions.map((c) => `${c.type}=${c.status} ${c.reason}`), [
    'RolloutHalted=True FailureBudgetExceeded',
    'Failed=True NodesFailed',
    'Pending=True ChangesPending',
    'Ready=False FailureBudgetExceeded',
  ]);
  const text = renderSiteStatusText(status);
  t.snapshot(text);
  t.regex(text, /RolloutHalted=True FailureBudgetExceeded: rollout of cluster app halted: 1 node\(s\) failed \(n1\)/);
});

test('a rollout paused by maxUnavailable is as loud as a halted one: RolloutPaused on the cluster, its untouched nodes pending', async (t) => {
  const store = SqliteStore.open({ file: ':memory:', site: 'lab', clock: steppingClock('2025-05-01T00:00:00.000Z') });
  const nodes = ['n1', 'n2', 'n3'];
  // Budget 1, maxUnavailable 1: n1 fails within the budget, and counts as down, so batch 2 does not start.
  const plan = testPlan(rolling(nodes).changes, [{ cluster: 'app', batches: nodes.map((n) => [n]), failureBudget: 1 }]);
  const fakes = { transport: unusedTransport, registry, managedRecord: fakeManagedRecord([]), store, clock: steppingClock(), concurrency: 2 };
  await applyPlan({ ...fakes, plan, nodes: fakeNodes(nodes), effects: fakeEffects([], { fail: ['n1/service:app#restart'] }).lookup });
  const status = await readSiteStatus(store, { clusters: { app: nodes } });
  t.deepEqual(status.clusters[0]?.conditions.map((c) => `${c.type}=${c.status} ${c.reason}`).slice(0, 1), ['RolloutPaused=True MaxUnavailableReached']);
  t.deepEqual(conditionsOf(status, 'n2')?.[0], 'Pending=True RolloutPaused');
});

test('an interrupted run shows its in-flight changes; the halt of an earlier run stays visible', async (t) => {
  const { store } = await applied(['n1/service:app#restart'], ['n1', 'n2']);
  const run = await store.beginRun({ revisionCommit: 'c2', planHash: 'p2', nodes: ['n1', 'n2'] });
  await store.journal({ runId: run.id, changeId: 'n2/file:/etc/x', node: 'n2', key: 'file:/etc/x', action: 'update', phase: 'started', detail: null });
  // Simulates the process dying: recovery by a "different" controller process.
  await store.finishRun(run.id, 'interrupted');
  const status = await readSiteStatus(store, { clusters: { app: ['n1', 'n2'] } });
  t.deepEqual(conditionsOf(status, 'n2'), ['Interrupted=True ApplyInterrupted', 'Pending=True RolloutHalted', 'Ready=False ApplyInterrupted']);
  t.regex(status.nodes[1]?.conditions[0]?.message ?? '', /stopped during n2\/file:\/etc\/x/);
  t.is(status.clusters[0]?.conditions[0]?.type, 'RolloutHalted');
});

test('changes in the latest plan make nodes pending; a node never applied is not ready', async (t) => {
  const store = SqliteStore.open({ file: ':memory:', site: 'lab', clock: steppingClock() });
  const plan = testPlan([change('n1/file:/a'), change('n1/file:/b')]);
  const status = await readSiteStatus(store, { plan });
  t.deepEqual(status.nodes.map((n) => [n.name, n.conditions.map((c) => `${c.type}=${c.status} ${c.reason}: ${c.message}`)]), [
    ['n1', ['Pending=True ChangesPending: 2 change(s) in the latest plan', 'Ready=False ChangesPending: 2 change(s) in the latest plan']],
  ]);
  t.is(renderSiteStatusText(status).split('\n')[0], 'No runs yet.');
});

/** Applies `plan` at `commit` with FAKE reconcilers to a shared store. */
async function applyAt(store: SqliteStore, commit: string, nodes: string[], fail: string[] = []) {
  const base = rolling(nodes);
  const plan = { ...base, revision: { ...base.revision, commit } };
  return applyPlan({
    plan,
    nodes: fakeNodes(nodes),
    transport: unusedTransport,
    registry,
    effects: fakeEffects([], { fail }).lookup,
    managedRecord: fakeManagedRecord([]),
    store,
    clock: steppingClock(),
    concurrency: 1,
  });
}

const readyOf = (status: SiteStatus, node: string) => status.nodes.find((n) => n.name === node)?.conditions.find((c) => c.type === 'Ready');

test('nodes a halted run never reached are Ready=Unknown NotReached at the commit they are still at, not Ready=True', async (t) => {
  const store = SqliteStore.open({ file: ':memory:', site: 'lab', clock: steppingClock() });
  await applyAt(store, 'c1c1c1c1c1c1c1', ['n1', 'n2', 'n3']);
  const halted = await applyAt(store, 'c2c2c2c2c2c2c2', ['n1', 'n2', 'n3'], ['n1/service:app#restart']);
  t.is(halted.status, 'halted');
  const status = await readSiteStatus(store);
  t.deepEqual(conditionsOf(status, 'n1'), ['Failed=True ApplyFailed', 'Ready=False ApplyFailed']);
  for (const n of ['n2', 'n3']) {
    t.deepEqual(readyOf(status, n), {
      type: 'Ready',
      status: 'Unknown',
      reason: 'NotReached',
      message: 'run 2 (revision c2c2c2c2c2c2, halted) did not reach this node; it is still at c1c1c1c1c1c1 (applied in run 1)',
    });
  }
  t.regex(renderSiteStatusText(status), /\n {2}n2 @ c1c1c1c1c1c1\n {4}Ready=Unknown NotReached: /);
  // With the cluster known, its halt shows beside the node's Unknown, and the cluster is not Ready either.
  const withCluster = await readSiteStatus(store, { clusters: { app: ['n1', 'n2', 'n3'] } });
  t.deepEqual(conditionsOf(withCluster, 'n2'), ['Pending=True RolloutHalted', 'Ready=Unknown NotReached']);
  t.deepEqual(withCluster.clusters[0]?.conditions.at(-1)?.status, 'False');
  // Resumed, n1 healthy again: the next run that reaches them makes them Ready again.
  const resumed = controlRollout(await store.rolloutState('app'), 'app', { action: 'resume', recovered: ['n1'] });
  if (resumed.ok) await store.changeRolloutState('app', () => resumed.write);
  await applyAt(store, 'c2c2c2c2c2c2c2', ['n1', 'n2', 'n3']);
  const converged = await readSiteStatus(store);
  for (const n of ['n1', 'n2', 'n3']) t.deepEqual(conditionsOf(converged, n), ['Ready=True Converged']);
});

test('after an interrupted run no node is Ready=True from an older commit: reached ones are "not finished", the others "not reached"', async (t) => {
  const store = SqliteStore.open({ file: ':memory:', site: 'lab', clock: steppingClock() });
  await applyAt(store, 'c1c1c1c1c1c1c1', ['n1', 'n2', 'n3']);
  const run = await store.beginRun({ revisionCommit: 'c2c2c2c2c2c2c2', planHash: 'p2', nodes: ['n1', 'n2', 'n3'] });
  const entry = { runId: run.id, node: 'n1', key: 'file:/etc/app.conf', action: 'update' as const, detail: null };
  await store.journal({ ...entry, changeId: 'n1/file:/etc/app.conf', phase: 'started' });
  await store.journal({ ...entry, changeId: 'n1/file:/etc/app.conf', phase: 'succeeded' });
  await store.journal({ ...entry, node: 'n2', changeId: 'n2/file:/etc/app.conf', phase: 'started' });
  await store.finishRun(run.id, 'interrupted');
  const status = await readSiteStatus(store);
  t.deepEqual(status.nodes.map((n) => [n.name, readyOf(status, n.name)?.status, readyOf(status, n.name)?.reason]), [
    ['n1', 'Unknown', 'NotReached'],
    ['n2', 'False', 'ApplyInterrupted'],
    ['n3', 'Unknown', 'NotReached'],
  ]);
  t.regex(readyOf(status, 'n1')?.message ?? '', /^run 2 \(revision c2c2c2c2c2c2, interrupted\) did not finish this node; it is still at c1c1c1c1c1c1/);
  t.regex(readyOf(status, 'n3')?.message ?? '', /did not reach this node; it is still at c1c1c1c1c1c1 \(applied in run 1\)$/);
});

test('a node removed from Git leaves the status: only the latest run\'s nodes are shown', async (t) => {
  const store = SqliteStore.open({ file: ':memory:', site: 'lab', clock: steppingClock() });
  await applyAt(store, 'c1c1c1c1c1c1c1', ['n1', 'n2', 'n3']);
  t.deepEqual((await readSiteStatus(store)).nodes.map((n) => n.name), ['n1', 'n2', 'n3']);
  await applyAt(store, 'c2c2c2c2c2c2c2', ['n1', 'n2']);
  const status = await readSiteStatus(store);
  t.deepEqual(status.nodes.map((n) => n.name), ['n1', 'n2']);
  t.notRegex(renderSiteStatusText(status), /n3/);
});

test('a failed node\'s reason is its error\'s code as apply recorded it, whatever the message says', async (t) => {
  const store = SqliteStore.open({ file: ':memory:', site: 'lab', clock: steppingClock() });
  const plan = testPlan([change('n1/file:/a'), change('n2/file:/a'), change('n3/file:/a')]);
  await applyPlan({
    plan,
    nodes: fakeNodes(['n1']),
    // The observation's own codes: a refused host key is not "unreachable", although its message begins so.
    unreachable: {
      n2: { code: 'HostKeyMismatch', message: 'host key mismatch for node n2: expected SHA256:a, server presented SHA256:b' },
      n3: { code: 'Unreachable', message: 'node n3 (192.0.2.3:22) unreachable after 3 attempt(s): ECONNREFUSED' },
    },
    transport: unusedTransport,
    registry,
    effects: fakeEffects([], { fail: ['n1/file:/a'] }).lookup,
    managedRecord: fakeManagedRecord([]),
    store,
    clock: steppingClock(),
    concurrency: 1,
  });
  const status = await readSiteStatus(store);
  t.deepEqual(status.nodes.map((n) => [n.name, readyOf(status, n.name)?.reason]), [
    ['n1', 'ApplyFailed'],
    ['n2', 'HostKeyMismatch'],
    ['n3', 'Unreachable'],
  ]);
  t.regex(readyOf(status, 'n2')?.message ?? '', /^unreachable: host key mismatch for node n2/);
  const journal = await store.journalOf(1);
  t.deepEqual(journal.filter((e) => e.phase !== 'started').map((e) => [e.changeId, e.phase, e.code]), [
    ['n1/file:/a', 'failed', 'ApplyFailed'],
    ['n2/file:/a', 'skipped', 'HostKeyMismatch'],
    ['n3/file:/a', 'skipped', 'Unreachable'],
  ]);
});
