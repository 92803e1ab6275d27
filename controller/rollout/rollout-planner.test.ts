import test from 'ava';
import { DEFAULT_ROLLOUT_POLICY, type RolloutPolicy } from '../spec/rollout-policy.js';
import { planRolloutIntents, type RolloutPlanInput } from './rollout-planner.js';

const members = (...names: string[]) => names.map((name, i) => ({ name, labels: { zone: `z${i % 2}` } }));
type Over = Partial<Omit<RolloutPlanInput, 'policy'>> & { policy?: Partial<RolloutPolicy> };
const input = (over: Over = {}): RolloutPlanInput => {
  const m = over.members ?? members('n1', 'n2', 'n3', 'n4', 'n5');
  return { cluster: 'c', members: m, disrupted: m.map((x) => x.name), unavailable: [], ...over, policy: { ...DEFAULT_ROLLOUT_POLICY, ...over.policy } };
};
const batchesOf = (i: RolloutPlanInput) => planRolloutIntents(i).batches.map((b) => b.nodes);

test('the defaults give today\'s batches: one node at a time, by name, only the disrupted members', (t) => {
  t.deepEqual(batchesOf(input({ disrupted: ['n4', 'n2', 'x9'] })), [['n2'], ['n4']]);
  const intents = planRolloutIntents(input({ disrupted: ['n1'] }));
  t.deepEqual(intents, {
    cluster: 'c',
    members: 5,
    order: 'name',
    maxUnavailable: 1,
    failureBudget: 0,
    onFailure: 'halt',
    rollback: 'none',
    unavailable: [],
    held: [],
    batches: [{ cluster: 'c', batch: 1, nodes: ['n1'], canary: false, gates: ['service-up'], soakSeconds: 0, deadlineSeconds: 600, downAtOnce: 1 }],
  });
});

test('a batch\'s blast radius counts its nodes that were up and every member already down', (t) => {
  const intents = planRolloutIntents(input({ unavailable: ['n2'], policy: { maxUnavailable: 3 } }));
  t.deepEqual(intents.batches.map((b) => [b.nodes, b.downAtOnce]), [
    [['n1', 'n2', 'n3'], 3],
    [['n4', 'n5'], 3],
  ]);
});

test('a canary batch, then batches of maxUnavailable; its soak after the canary, the policy soak between the rest, none after the last', (t) => {
  const intents = planRolloutIntents(input({ policy: { maxUnavailable: 2, canary: { nodes: 1, soakSeconds: 600 }, soakSeconds: 60 } }));
  t.deepEqual(intents.batches.map((b) => [b.nodes, b.canary, b.soakSeconds]), [
    [['n1'], true, 600],
    [['n2', 'n3'], false, 60],
    [['n4', 'n5'], false, 0],
  ]);
});

test('a percentage maxUnavailable is of the members; members already down use it up, and ride along for free', (t) => {
  const ten = members('n01', 'n02', 'n03', 'n04', 'n05', 'n06', 'n07', 'n08', 'n09', 'n10');
  const intents = planRolloutIntents(input({ members: ten, unavailable: ['n03'], policy: { maxUnavailable: '30%' } }));
  t.is(intents.maxUnavailable, 3);
  t.deepEqual(intents.unavailable, ['n03']);
  t.deepEqual(intents.batches.map((b) => b.nodes), [['n01', 'n02', 'n03'], ['n04', 'n05'], ['n06', 'n07'], ['n08', 'n09'], ['n10']]);
});

test('with one member down and maxUnavailable 1, no batch takes a second one down: the rest are held', (t) => {
  const intents = planRolloutIntents(input({ members: members('a', 'b', 'c'), unavailable: ['b', 'gone'] }));
  t.deepEqual(intents.batches.map((b) => b.nodes), [['b']]);
  t.deepEqual(intents.held, ['a', 'c']);
  t.deepEqual(intents.unavailable, ['b']);
});

test('by label: one failure domain at a time, domains in order, nodes without the label last, never two domains in a batch', (t) => {
  const m = [
    { name: 'a1', labels: { zone: 'a' } },
    { name: 'b1', labels: { zone: 'b' } },
    { name: 'a2', labels: { zone: 'a' } },
    { name: 'x1', labels: {} as Record<string, string> },
    { name: 'a3', labels: { zone: 'a' } },
  ];
  const intents = planRolloutIntents(input({ members: m, policy: { maxUnavailable: 2, order: { label: 'zone' } } }));
  t.deepEqual(intents.batches.map((b) => [b.domain ?? null, b.nodes]), [
    ['a', ['a1', 'a2']],
    ['a', ['a3']],
    ['b', ['b1']],
    [null, ['x1']],
  ]);
});

test('explicit order: the listed nodes first in that order, then the rest by name; listed names with nothing to do are passed over', (t) => {
  t.deepEqual(batchesOf(input({ disrupted: ['n1', 'n2', 'n3', 'n5'], policy: { order: { explicit: ['n5', 'n4', 'n2'] } } })), [['n5'], ['n2'], ['n1'], ['n3']]);
});

test('a percentage failure budget is of the members, rounded down', (t) => {
  t.is(planRolloutIntents(input({ policy: { failureBudget: '40%' } })).failureBudget, 2);
  t.is(planRolloutIntents(input({ policy: { failureBudget: '10%' } })).failureBudget, 0);
});

test('the plan does not depend on the order members and disrupted nodes are given in', (t) => {
  const a = input({ policy: { maxUnavailable: 2, order: { label: 'zone' } } });
  const b = { ...a, members: [...a.members].reverse(), disrupted: [...a.disrupted].reverse() };
  t.deepEqual(planRolloutIntents(a), planRolloutIntents(b));
});

test('a batch names the gates its nodes wait for (service-up first, then the declared ones); the intents carry the members\' declarations', (t) => {
  const origin = 'module m (step s)';
  const ready = (node: string) => ({ gates: [{ type: 'command' as const, name: 'ready', argv: ['ready', node], exitCode: 0, timeoutSeconds: 5, origin }], drain: [{ argv: ['maint', node], on: 'lb', origin }], undrain: [] });
  const quorum = { gates: [{ type: 'cluster' as const, name: 'quorum', argv: ['etcdctl', 'endpoint', 'health', '--cluster'], exitCode: 0, timeoutSeconds: 10, origin }], drain: [], undrain: [] };
  const intents = planRolloutIntents(input({ members: members('n1', 'n2', 'n3'), policy: { maxUnavailable: 2 }, gates: { n1: ready('n1'), n2: quorum } }));
  t.deepEqual(intents.batches.map((b) => [b.nodes, b.gates]), [
    [['n1', 'n2'], ['service-up', 'ready', 'quorum']],
    [['n3'], ['service-up']],
  ]);
  t.deepEqual(intents.gates, { n1: ready('n1'), n2: quorum });
  t.false('gates' in planRolloutIntents(input({ members: members('n1') })));
});
