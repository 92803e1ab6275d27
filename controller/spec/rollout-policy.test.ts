import test from 'ava';
import { loadSpec } from '../load/load-spec.js';
import { revisionOf } from '../../test/support/site-files.js';
import { DEFAULT_ROLLOUT_POLICY, durationSeconds, effectiveRolloutPolicy, quantityOf } from './rollout-policy.js';
import { RolloutPolicy } from './schema.js';

const parse = (value: unknown) => RolloutPolicy.parse(value);

test('without any field, the policy is the behaviour from before: one node at a time, by name, halt at the first failure', (t) => {
  t.deepEqual(effectiveRolloutPolicy(parse({}), parse({})), DEFAULT_ROLLOUT_POLICY);
  t.like(DEFAULT_ROLLOUT_POLICY, { maxUnavailable: 1, order: 'name', failureBudget: 0, onFailure: 'halt', rollback: 'none', soakSeconds: 0 });
});

test('the cluster wins over the Site field by field, and batchSize is maxUnavailable by its older name', (t) => {
  const site = parse({ maxUnavailable: '25%', soak: '5m', onFailure: 'pause' });
  const cluster = parse({ batchSize: 2, canary: { nodes: 1, soak: '1h30m' }, order: { label: 'zone' } });
  t.deepEqual(effectiveRolloutPolicy(site, cluster), {
    ...DEFAULT_ROLLOUT_POLICY,
    maxUnavailable: 2,
    soakSeconds: 300,
    onFailure: 'pause',
    canary: { nodes: 1, soakSeconds: 5400 },
    order: { label: 'zone' },
  });
});

test('a percentage is of the members, rounded down, and never below the floor', (t) => {
  t.is(quantityOf('25%', 10, 1), 2);
  t.is(quantityOf('10%', 5, 1), 1);
  t.is(quantityOf('10%', 5, 0), 0);
  t.is(quantityOf('100%', 7, 1), 7);
  t.is(quantityOf(3, 2, 1), 3);
});

test('durations add up their units', (t) => {
  t.deepEqual(['90s', '5m', '1h', '1h30m', '2m5s', '0s'].map(durationSeconds), [90, 300, 3600, 5400, 125, 0]);
  t.false(RolloutPolicy.safeParse({ soak: '' }).success);
  t.false(RolloutPolicy.safeParse({ soak: '5' }).success);
  t.false(RolloutPolicy.safeParse({ soak: '5d' }).success);
  t.false(RolloutPolicy.safeParse({ maxUnavailable: '120%' }).success);
});

const cluster = (rollout: string) =>
  `apiVersion: underlay.dev/v1alpha1\nkind: Cluster\nmetadata:\n  name: c\nspec:\n  nodes: {}\n  steps: [{name: s, module: m}]\n  rollout:\n${rollout}`;

test('maxUnavailable and batchSize both set is a load error at batchSize; a node listed twice in an explicit order too', (t) => {
  const errors = (rollout: string) =>
    loadSpec(revisionOf({ 'c.yaml': cluster(rollout) }))
      .diagnostics.filter((d) => d.field?.startsWith('spec.rollout'))
      .map((d) => ({ code: d.code, line: d.location?.line, field: d.field, message: d.message }));
  t.deepEqual(errors('    maxUnavailable: 2\n    batchSize: 2\n'), [
    { code: 'SchemaViolation', line: 10, field: 'spec.rollout.batchSize', message: 'batchSize is the older name of maxUnavailable: set one of them, not both' },
  ]);
  t.deepEqual(errors('    order: {explicit: [n1, n2, n1]}\n'), [
    { code: 'SchemaViolation', line: 9, field: 'spec.rollout.order.explicit[2]', message: 'node "n1" is listed twice' },
  ]);
  t.deepEqual(errors('    maxUnavailable: "50%"\n    failureBudget: "10%"\n    onFailure: pause\n'), []);
});
