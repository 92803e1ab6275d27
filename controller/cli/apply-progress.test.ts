/**
 * What apply prints per event: one line per finished change with why, and on a terminal only, a progress
 * line redrawn in place below them. Driven by the engine with FAKE kind effects (test/support/fake-apply.ts).
 */
import test from 'ava';
import { applyPlan } from '../apply/apply-plan.js';
import { change, fakeManagedRecord, fakeNodes, fakeEffects, instantTimers, testPlan, unusedTransport } from '../../test/support/fake-apply.js';
import { steppingClock } from '../clock.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { applyProgress } from './apply-progress.js';
import { registry } from '../../reconcilers/registry.js';

async function printed(isTTY: boolean): Promise<string> {
  let out = '';
  const io = { stdout: (s: string) => (out += s), stderr: (s: string) => (out += s), cwd: '/', env: {}, isTTY };
  const plan = testPlan([
    change('n1/file:/a', { reason: 'does not exist' }),
    change('n1/file:/b', { dependsOn: ['n1/file:/a'] }),
    change('n2/file:/a', { action: 'update', reason: 'content differs' }),
  ]);
  const progress = applyProgress(io, plan);
  const log: string[] = [];
  const store = SqliteStore.open({ file: ':memory:', site: 'lab', clock: steppingClock() });
  await applyPlan({
    plan,
    nodes: fakeNodes(['n1', 'n2']),
    transport: unusedTransport,
    registry,
    effects: fakeEffects(log, { fail: ['n1/file:/a'] }).lookup,
    managedRecord: fakeManagedRecord(log),
    store,
    clock: steppingClock(),
    timers: instantTimers(),
    concurrency: 1,
    onEvent: progress.onEvent,
  });
  progress.end();
  await store.close();
  return out;
}

test('one line per change: outcome, action, id and why (the plan\'s reason, the error, or the skip)', async (t) => {
  const out = await printed(false);
  t.deepEqual(out.split('\n').sort(), [
    '',
    '  applied update n2/file:/a (content differs)',
    '  failed  create n1/file:/a: fake failure of n1/file:/a [ApplyFailed]',
    '  skipped create n1/file:/b (node n1 failed: n1/file:/a: fake failure of n1/file:/a)',
  ]);
  t.false(out.includes('\r'), 'no progress line outside a terminal');
});

test('on a terminal a progress line counts done/total and failures, redrawn below the change lines and gone at the end', async (t) => {
  const out = await printed(true);
  t.regex(out, /\r\u001b\[K\[1\/3\] 1 failed/);
  t.regex(out, /\r\u001b\[K\[3\/3\] 1 failed, 1 skipped\r\u001b\[K$/, 'erased before the summary');
  const lines = out.replaceAll(/\r\u001b\[K(\[[^\n\r]*)?/g, '').split('\n').filter(Boolean);
  t.is(lines.length, 3, 'the change lines stay whole');
});

/** Runs a two-batch rollout of `app` (n1 then n2, budget 1 so both batches gate) and returns the gate lines. */
async function gateLines(behaviour: { fail?: string[]; unhealthy?: string[] }): Promise<string[]> {
  let out = '';
  const io = { stdout: (s: string) => (out += s), stderr: (s: string) => (out += s), cwd: '/', env: {}, isTTY: false };
  const plan = testPlan(
    ['n1', 'n2'].map((n) => change(`${n}/service:app#restart`, { action: 'restart', disruptive: true, cluster: 'app' })),
    [{ cluster: 'app', batches: [['n1'], ['n2']], failureBudget: 1, policy: { maxUnavailable: 2, progressDeadlineSeconds: 3 } }],
  );
  const progress = applyProgress(io, plan);
  const store = SqliteStore.open({ file: ':memory:', site: 'lab', clock: steppingClock() });
  await applyPlan({
    plan,
    nodes: fakeNodes(['n1', 'n2']),
    transport: unusedTransport,
    registry,
    effects: fakeEffects([], behaviour).lookup,
    managedRecord: fakeManagedRecord([]),
    store,
    clock: steppingClock(),
    timers: instantTimers(),
    concurrency: 1,
    onEvent: progress.onEvent,
  });
  progress.end();
  await store.close();
  return out.split('\n').filter((l) => l.includes('rollout app batch'));
}

test('a batch gate says healthy only when no node of the batch failed: a failed change is FAILED with why, never healthy', async (t) => {
  t.deepEqual(await gateLines({}), ['  rollout app batch 1 (n1): healthy: service-up', '  rollout app batch 2 (n2): healthy: service-up'], 'the gates that passed are named');
  t.deepEqual(await gateLines({ fail: ['n1/service:app#restart'], unhealthy: ['n2'] }), [
    '  rollout app batch 1 (n1): FAILED n1 (n1/service:app#restart: fake failure of n1/service:app#restart)',
    '  rollout app batch 2 (n2): UNHEALTHY n2: not healthy within the progress deadline of 3s (3 tries): service:app: service down (fake)',
  ]);
});

test('a healthy batch names the gates that passed: once when every node passed the same, per node otherwise, nothing when none ran', (t) => {
  let out = '';
  const io = { stdout: (s: string) => (out += s), stderr: (s: string) => (out += s), cwd: '/', env: {}, isTTY: false };
  const progress = applyProgress(io, testPlan([]));
  const gate = { type: 'batch-gate', cluster: 'etcd', failed: {}, unhealthy: {} } as const;
  progress.onEvent({ ...gate, batch: 1, nodes: ['node1'], passed: { node1: ['service-up', 'member', 'quorum'] } });
  progress.onEvent({ ...gate, batch: 2, nodes: ['node2', 'node3'], passed: { node2: ['service-up', 'quorum'], node3: ['service-up', 'quorum'] } });
  progress.onEvent({ ...gate, batch: 3, nodes: ['node4', 'node5'], passed: { node4: ['service-up', 'quorum'], node5: [] } });
  progress.onEvent({ ...gate, batch: 4, nodes: ['node6'], passed: {} });
  progress.onEvent({ ...gate, batch: 5, nodes: ['node7'] });
  t.deepEqual(out.split('\n').filter(Boolean), [
    '  rollout etcd batch 1 (node1): healthy: service-up, member, quorum',
    '  rollout etcd batch 2 (node2, node3): healthy: service-up, quorum',
    '  rollout etcd batch 3 (node4, node5): healthy: node4 service-up, quorum',
    '  rollout etcd batch 4 (node6): healthy',
    '  rollout etcd batch 5 (node7): healthy',
  ]);
});

test('the check before a batch is printed when a member is down or the batch is held; drain and undrain with what failed', (t) => {
  let out = '';
  const io = { stdout: (s: string) => (out += s), stderr: (s: string) => (out += s), cwd: '/', env: {}, isTTY: false };
  const progress = applyProgress(io, testPlan([]));
  progress.onEvent({ type: 'batch-check', cluster: 'etcd', batch: 1, down: {}, held: false });
  progress.onEvent({ type: 'batch-check', cluster: 'etcd', batch: 2, down: { n3: 'gate ready failed: exit 1' }, held: true });
  progress.onEvent({ type: 'drain', cluster: 'etcd', batch: 1, node: 'n1' });
  progress.onEvent({ type: 'undrain', cluster: 'etcd', batch: 1, node: 'n1', failed: { step: 2, on: 'lb1', output: 'exit 1: no socket' } });
  t.is(
    out,
    '  rollout etcd before batch 2: down already n3 (gate ready failed: exit 1): batch held\n' +
      '  rollout etcd batch 1: drain n1 done\n' +
      '  rollout etcd batch 1: undrain n1 FAILED (step 2 on lb1: exit 1: no socket)\n',
  );
});
