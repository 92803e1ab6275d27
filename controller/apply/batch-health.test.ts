/**
 * A rollout with declared gates and drain steps through apply, against FAKE kind effects and FAKE gate
 * probes (test/support/fake-apply.ts; both only log what they are asked) and a clock that moves only when
 * the gate runner sleeps. The order of drain, changes, gates and undrain; the check before a batch; the
 * deadline; redaction. The same steps against real daemons on real test hosts: test/e2e/health-gates.test.ts.
 */
import test from 'ava';
import type { Clock, Timers } from '../clock.js';
import { steppingClock } from '../clock.js';
import type { NodeGates } from '../model/health-gate.js';
import { redactorOf } from '../secrets/secret-redactor.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { ExecResult } from '../transport/transport.js';
import { applyPlan, type ApplyEvent, type ApplyPlanOptions } from './apply-plan.js';
import type { GateProbes } from './gate-runner.js';
import { change, fakeEffects, fakeManagedRecord, fakeNodes, testPlan, unusedTransport, type FakeBehaviour } from '../../test/support/fake-apply.js';
import { registry } from '../../reconcilers/registry.js';

const exit = (code: number, stdout = ''): ExecResult => ({ code, stdout: Buffer.from(stdout), stderr: Buffer.alloc(0) });

function manualTime(): { clock: Clock; timers: Timers } {
  let now = Date.parse('2025-01-01T00:00:00.000Z');
  return {
    clock: { now: () => new Date(now) },
    timers: {
      every: () => () => undefined,
      sleep: async (ms) => {
        now += ms;
      },
    },
  };
}

/** FAKE probes: argv on a node is logged as `exec <node> <argv...>` and answers with `answer`'s exit code. */
function fakeProbes(log: string[], answer: (node: string, argv: readonly string[]) => ExecResult = () => exit(0)): GateProbes {
  return {
    tcp: () => Promise.reject(new Error('no tcp gate in these tests')),
    http: () => Promise.reject(new Error('no http gate in these tests')),
    exec: async (node, argv) => {
      log.push(`exec ${node} ${argv.join(' ')}`);
      return answer(node, argv);
    },
  };
}

/** Each member: a `ready` command gate, drained and undrained on the load balancer lb1. */
function declared(node: string): NodeGates {
  const origin = 'module app (step app)';
  return {
    gates: [{ type: 'command', name: 'ready', argv: ['ready', node], exitCode: 0, timeoutSeconds: 5, origin }],
    drain: [{ argv: ['maint', node], on: 'lb1', origin }],
    undrain: [{ argv: ['ready-lb', node], on: 'lb1', origin }],
  };
}

function gatedPlan(nodes: string[], options: { budget?: number; maxUnavailable?: number; batches?: string[][]; members?: string[] } = {}) {
  const changes = nodes.flatMap((n) => [
    change(`${n}/file:/etc/app.conf`, { action: 'update', cluster: 'app' }),
    change(`${n}/service:app#restart`, { action: 'restart', disruptive: true, cluster: 'app', dependsOn: [`${n}/file:/etc/app.conf`] }),
  ]);
  const members = options.members ?? nodes;
  const gates = Object.fromEntries(members.map((n) => [n, declared(n)]));
  const policy = { maxUnavailable: options.maxUnavailable ?? 1, progressDeadlineSeconds: 30 };
  return testPlan(changes, [{ cluster: 'app', batches: options.batches ?? nodes.map((n) => [n]), failureBudget: options.budget ?? 0, policy, gates }]);
}

function setup(nodes: string[], probes: (log: string[]) => GateProbes, behaviour: FakeBehaviour = {}): { log: string[]; events: ApplyEvent[]; base: Omit<ApplyPlanOptions, 'plan'> } {
  const log: string[] = [];
  const events: ApplyEvent[] = [];
  const time = manualTime();
  const base = {
    nodes: fakeNodes([...nodes, 'lb1']),
    transport: unusedTransport,
    registry,
    effects: fakeEffects(log, behaviour).lookup,
    managedRecord: fakeManagedRecord(log),
    store: SqliteStore.open({ file: ':memory:', site: 'lab', clock: steppingClock() }),
    clock: time.clock,
    timers: time.timers,
    gateProbes: probes(log),
    concurrency: 4,
    onEvent: (e: ApplyEvent) => events.push(e),
  };
  return { log, events, base };
}

const work = (log: string[]): string[] => log.filter((l) => !l.startsWith('record'));

test('each node is drained before its batch changes it, gated after, and undrained once its gates pass, batch by batch', async (t) => {
  const s = setup(['n1', 'n2'], (log) => fakeProbes(log));
  const result = await applyPlan({ ...s.base, plan: gatedPlan(['n1', 'n2']) });
  t.is(result.status, 'succeeded');
  t.deepEqual(work(s.log), [
    // The check before batch 1: every member up (service-up of what is to restart, then its gates).
    'health n1',
    'exec n1 ready n1',
    'health n2',
    'exec n2 ready n2',
    'exec lb1 maint n1',
    'apply n1/file:/etc/app.conf',
    'apply n1/service:app#restart',
    'health n1',
    'exec n1 ready n1',
    'exec lb1 ready-lb n1',
    'health n1',
    'exec n1 ready n1',
    'health n2',
    'exec n2 ready n2',
    'exec lb1 maint n2',
    'apply n2/file:/etc/app.conf',
    'apply n2/service:app#restart',
    'health n2',
    'exec n2 ready n2',
    'exec lb1 ready-lb n2',
  ]);
  t.deepEqual(s.events.filter((e) => e.type === 'drain' || e.type === 'undrain').map((e) => `${e.type} ${'node' in e ? e.node : ''}`), ['drain n1', 'undrain n1', 'drain n2', 'undrain n2']);
});

test('a member already down before a batch counts against maxUnavailable: the batch is held and nothing is touched', async (t) => {
  const s = setup(['n1', 'n2', 'n3'], (log) => fakeProbes(log, (node, argv) => exit(node === 'n3' && argv[0] === 'ready' ? 1 : 0, 'not ready')));
  const result = await applyPlan({ ...s.base, plan: gatedPlan(['n1', 'n2'], { members: ['n1', 'n2', 'n3'] }) });
  t.is(result.status, 'halted');
  t.like(result.conditions[0], { type: 'RolloutPaused', reason: 'MaxUnavailableReached' });
  t.regex(result.conditions[0]?.message ?? '', /paused before batch 1 \(n1\): 1 member\(s\) down now \[n3 \(gate ready failed: exit 1, expected 0: not ready\)\], the batch would make 2, maxUnavailable is 1/);
  t.false(s.log.some((l) => l.startsWith('apply') || l.includes('maint')), 'no change and no drain ran');
  t.like(s.events.find((e) => e.type === 'batch-check'), { batch: 1, held: true, down: { n3: 'gate ready failed: exit 1, expected 0: not ready' } });
});

test('with room for it, a member down is tolerated; a batch node already down rides along without using room', async (t) => {
  // n1 and n3 are down until their batch changes them (the fix).
  const downUntilChanged = (log: string[], node: string): boolean => ['n1', 'n3'].includes(node) && !log.includes(`apply ${node}/service:app#restart`);
  const s = setup(['n1', 'n2', 'n3'], (log) => fakeProbes(log, (node, argv) => exit(argv[0] === 'ready' && downUntilChanged(log, node) ? 1 : 0)));
  const result = await applyPlan({ ...s.base, plan: gatedPlan(['n1', 'n2', 'n3'], { maxUnavailable: 2, batches: [['n1', 'n2'], ['n3']] }) });
  // Before batch 1, n3 is down and n1 (in the batch) too: n3 + n2 make 2 down, within maxUnavailable 2.
  t.is(result.status, 'succeeded', JSON.stringify(result.conditions));
  t.like(s.events.find((e) => e.type === 'batch-check'), { batch: 1, held: false });
  t.deepEqual(Object.keys((s.events.find((e) => e.type === 'batch-check') as { down: Record<string, string> }).down), ['n1', 'n3']);
});

test('a gate that does not pass by the progress deadline fails its node, which stays drained; the breaker names the gate and its output', async (t) => {
  const s = setup(['n1', 'n2'], (log) => fakeProbes(log, (node, argv) => exit(node === 'n1' && argv[0] === 'ready' && log.includes('apply n1/service:app#restart') ? 2 : 0, 'member n1 is unhealthy')));
  const result = await applyPlan({ ...s.base, plan: gatedPlan(['n1', 'n2']) });
  t.is(result.status, 'halted');
  t.deepEqual(result.nodes.n1?.error, {
    code: 'Unhealthy',
    message: 'unhealthy after rollout batch 1: gate ready did not pass by the progress deadline (31 attempts): exit 2, expected 0: member n1 is unhealthy',
  });
  t.regex(result.conditions[0]?.message ?? '', /1 node\(s\) failed \(n1\).*\[n1: ready timed out "gate ready did not pass by the progress deadline \(31 attempts\): exit 2, expected 0: member n1 is unhealthy"\]$/);
  t.false(s.log.includes('exec lb1 ready-lb n1'), 'an unhealthy node is not put back into its load balancer');
  t.false(s.log.some((l) => l.includes('n2/')), 'batch 2 never started');
});

test('a drain step that fails fails its node before any change of it; its undrain steps put back what the drain did', async (t) => {
  const s = setup(['n1'], (log) => fakeProbes(log, (_node, argv) => exit(argv[0] === 'maint' ? 1 : 0, 'socket refused')));
  const result = await applyPlan({ ...s.base, plan: gatedPlan(['n1']) });
  // A failed node trips the breaker with a budget of 0, in the last batch too: the rollout says so.
  t.is(result.status, 'halted');
  t.deepEqual(result.nodes.n1?.error, { code: 'DrainFailed', message: 'drain step 1 on lb1 failed before rollout batch 1: exit 1: socket refused' });
  t.false(s.log.some((l) => l.startsWith('apply')));
  t.true(s.log.includes('exec lb1 ready-lb n1'));
});

test('what a failing gate printed reaches the conditions and events redacted of the site\'s secrets', async (t) => {
  const secret = 'hunter2-etcd-root-password';
  const s = setup(['n1', 'n2'], (log) => fakeProbes(log, (_node, argv) => exit(argv[0] === 'ready' && log.includes('apply n1/service:app#restart') ? 1 : 0, `auth failed for root:${secret}`)));
  const result = await applyPlan({ ...s.base, plan: gatedPlan(['n1', 'n2']), redact: redactorOf([{ name: 'etcd-root', value: Buffer.from(secret) }]) });
  const shown = JSON.stringify({ conditions: result.conditions, nodes: result.nodes, events: s.events.filter((e) => e.type !== 'run-finished') });
  t.true(shown.includes('auth failed for root:[redacted secret etcd-root]'));
  t.false(shown.includes(secret));
});

test('a cluster gate is not part of the check before a batch; after it, it runs on a member outside the batch, in that member\'s rendering', async (t) => {
  const origin = 'module app (step app)';
  const withQuorum = (node: string): NodeGates => ({ ...declared(node), gates: [...declared(node).gates, { type: 'cluster', name: 'quorum', argv: ['quorum', `--via=${node}`], exitCode: 0, timeoutSeconds: 5, origin }] });
  const s = setup(['n1', 'n2'], (log) => fakeProbes(log));
  const plan = gatedPlan(['n1', 'n2']);
  plan.rollout[0]!.gates = { n1: withQuorum('n1'), n2: withQuorum('n2') };
  const result = await applyPlan({ ...s.base, plan });
  t.is(result.status, 'succeeded');
  const execs = work(s.log).filter((l) => l.startsWith('exec'));
  // Before batch 1: each member's own gates, no quorum; after it: quorum on n2 (outside the batch), as n2 renders it.
  t.deepEqual(execs.slice(0, 5), ['exec n1 ready n1', 'exec n2 ready n2', 'exec lb1 maint n1', 'exec n1 ready n1', 'exec n2 quorum --via=n2']);
  // After batch 2 (n2), the member outside it is n1.
  t.true(execs.includes('exec n1 quorum --via=n1'));
  t.like(s.events.find((e) => e.type === 'batch-check'), { batch: 1, down: {}, held: false });
});
