/**
 * `underlay rollout status|pause|resume|abort`, driven in-process against a state directory whose rollout was
 * left halted by the apply engine with FAKE kind effects (test/support/fake-apply.ts).
 */
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { applyPlan } from '../../apply/apply-plan.js';
import { change, fakeManagedRecord, fakeNodes, fakeEffects, instantTimers, testPlan, unusedTransport } from '../../../test/support/fake-apply.js';
import { steppingClock } from '../../clock.js';
import { SqliteStore, stateDatabaseFile } from '../../store/sqlite-store.js';
import { main } from '../main.js';
import { registry } from '../../../reconcilers/registry.js';

async function run(argv: string[], cwd: string) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd, env: {} });
  return { code, stdout, stderr };
}

const nodes = ['n1', 'n2', 'n3'];
const plan = testPlan(
  nodes.map((n) => change(`${n}/service:app#restart`, { action: 'restart', disruptive: true, cluster: 'app' })),
  [{ cluster: 'app', batches: nodes.map((n) => [n]), failureBudget: 0, policy: { maxUnavailable: 2 } }],
);

/** A state directory whose rollout of `app` halted: n1 failed in batch 1. */
async function halted(t: { teardown: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'underlay-rollout-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const store = SqliteStore.open({ file: stateDatabaseFile(path.join(dir, 'state')), site: 'lab', clock: steppingClock() });
  await applyPlan({
    plan,
    nodes: fakeNodes(nodes),
    transport: unusedTransport,
    registry,
    effects: fakeEffects([], { fail: ['n1/service:app#restart'] }).lookup,
    managedRecord: fakeManagedRecord([]),
    store,
    clock: steppingClock(),
    timers: instantTimers(),
    concurrency: 1,
  });
  await store.close();
  return dir;
}

test('status shows the halted rollout with the failed node, its gate and output, and exits 1', async (t) => {
  const dir = await halted(t);
  const shown = await run(['rollout', 'status', '--state-dir', 'state'], dir);
  t.is(shown.code, 1);
  t.regex(shown.stdout, /^Rollout of cluster app at c0mmit: halted \(FailureBudgetExceeded\)\n {2}batches done: 1\n {2}failure budget: 1 of 0 used\n {2}failed in batch 1: n1: change failed "n1\/service:app#restart: fake failure of n1\/service:app#restart"\n/);
  const json = await run(['rollout', 'status', '--state-dir', 'state', '--output', 'json'], dir);
  t.like((JSON.parse(json.stdout) as { state: unknown }[])[0]?.state, { status: 'halted', batchesDone: [1] });
  const unknown = await run(['rollout', 'status', '--state-dir', 'state', '--cluster', 'nope'], dir);
  t.is(unknown.code, 1);
  t.regex(unknown.stderr, /cluster nope has no rollout on record in site lab/);
});

test('pause of a halted rollout is refused; resume makes it running, with --recovered nodes no longer counted as failed; abort then asks the next apply to stop', async (t) => {
  const dir = await halted(t);
  const paused = await run(['rollout', 'pause', '--state-dir', 'state', '--cluster', 'app'], dir);
  t.is(paused.code, 1);
  t.regex(paused.stderr, /rollout of cluster app at c0mmit is halted: there is nothing to pause/);
  t.is((await run(['rollout', 'resume', '--state-dir', 'state'], dir)).code, 1, 'resume needs --cluster');
  const wrong = await run(['rollout', 'resume', '--state-dir', 'state', '--cluster', 'app', '--recovered', 'n2'], dir);
  t.regex(wrong.stderr, /--recovered names node\(s\) that did not fail in it: n2 \(failed: n1\)/);
  const resumed = await run(['rollout', 'resume', '--state-dir', 'state', '--cluster', 'app', '--recovered', 'n1'], dir);
  t.is(resumed.code, 0, resumed.stderr);
  t.is(resumed.stdout, 'rollout of cluster app at c0mmit resumed after batch(es) 1; healthy again: n1; failure budget 1 of 0 used; the next apply carries on\n');
  const aborted = await run(['rollout', 'abort', '--state-dir', 'state', '--cluster', 'app'], dir);
  t.is(aborted.code, 0);
  t.regex(aborted.stdout, /abort asked for; the apply running it stops before its next batch and leaves the nodes as they are/);
  const shown = await run(['rollout', 'status', '--state-dir', 'state'], dir);
  t.regex(shown.stdout, /at c0mmit: running, abort asked for\n/);
  t.regex(shown.stdout, /healthy again \(resumed with --recovered\): n1/);
});
