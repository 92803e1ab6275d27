/** A part of a plan: the chosen changes and the restarts they trigger, batched again; nothing else. */
import test from 'ava';
import { DEFAULT_ROLLOUT_POLICY } from '../spec/rollout-policy.js';
import { emptyInventory } from '../model/observed.js';
import { rolloutIntents } from '../../test/support/fake-apply.js';
import type { Change } from '../model/change.js';
import type { Plan } from '../model/plan.js';
import { nodeTarget } from '../model/target.js';
import { planHash } from './make-plan.js';
import { planPart } from './plan-part.js';

const change = (node: string, key: string, over: Partial<Change> = {}): Change => ({
  id: `${node}/${key}`,
  target: nodeTarget(node),
  kind: key.slice(0, key.indexOf(':')),
  key,
  action: 'update',
  before: {},
  after: {},
  reason: 'differs',
  dependsOn: [],
  disruptive: false,
  cluster: 'web',
  ...over,
});

test('only the corrected changes and the restarts they trigger, with batches made from what is left', (t) => {
  const changes = [
    change('n1', 'file:/etc/web.conf'),
    change('n1', 'service:web#restart', { kind: 'service', key: 'service:web', action: 'restart', dependsOn: ['n1/file:/etc/web.conf'], disruptive: true }),
    change('n2', 'file:/etc/web.conf'),
    change('n2', 'service:web#restart', { kind: 'service', key: 'service:web', action: 'restart', dependsOn: ['n2/file:/etc/web.conf'], disruptive: true }),
    change('n2', 'file:/etc/motd', { dependsOn: ['n2/file:/etc/web.conf'] }),
  ];
  const body: Omit<Plan, 'hash'> = {
    apiVersion: 'underlay.dev/v1alpha2',
    kind: 'Plan',
    revision: { source: 'repo', ref: 'main', commit: 'c'.repeat(40), worktree: false } as Plan['revision'],
    inventoryHash: 'i',
    nodeInventoryHashes: {},
    changes,
    rollout: [rolloutIntents({ cluster: 'web', batches: [['n1'], ['n2']], failureBudget: 0 })],
    summary: { create: 0, update: 3, delete: 0, restart: 2, run: 0 },
  };
  const plan = { ...body, hash: planHash(body) };
  const site = { clusters: [{ name: 'web', nodes: ['n1', 'n2'], rollout: DEFAULT_ROLLOUT_POLICY }], nodes: [], inventory: emptyInventory() };
  const part = planPart(plan, site, new Set(['n1/file:/etc/web.conf', 'n2/file:/etc/motd']));
  t.deepEqual(part.changes.map((c) => c.id), ['n1/file:/etc/web.conf', 'n1/service:web#restart', 'n2/file:/etc/motd']);
  t.deepEqual(part.changes[2]?.dependsOn, [], 'an edge to a change not corrected is dropped');
  t.deepEqual(part.rollout.map((r) => [r.cluster, r.batches.map((b) => b.nodes), r.failureBudget]), [['web', [['n1']], 0]], 'n2 restarts nothing now');
  t.like(part.summary, { update: 2, restart: 1 });
  t.is(part.hash, planHash(part));
  t.not(part.hash, plan.hash);
});
