/**
 * The order of the grow and shrink graphs of the etcd scenarios (55, 56), stated as facts rather than read
 * off the goldens: a joining member's etcd starts only after one staying member ran `member add`, and
 * nothing of a leaving member is dismantled before that member ran `member remove`.
 */
import test from 'ava';
import { join } from 'node:path';
import { SnapshotSchema } from '../../controller/inventory/inventory.js';
import type { Change } from '../../controller/model/change.js';
import type { Plan } from '../../controller/model/plan.js';
import { planRevision } from '../../controller/pipeline/plan-revision.js';
import { planGraph } from '../../controller/plan/plan-graph.js';
import { registry } from '../../reconcilers/registry.js';
import { revisionFromDir } from '../support/revision-from-dir.js';
import { readFileSync } from 'node:fs';

const here = import.meta.dirname;
const MEMBER_SYNC = 'node1/command:etcd-membership';
const DATA_CHECK = 'node4/command:etcd-member-data';

function planOf(scenario: string): Plan {
  const dir = join(here, scenario);
  const inventory = SnapshotSchema.parse(JSON.parse(readFileSync(join(dir, 'inventory.json'), 'utf8')));
  const result = planRevision(revisionFromDir(join(dir, 'repo')), inventory, { registry });
  if (!result.plan) throw new Error(JSON.stringify(result.diagnostics));
  return result.plan;
}

/** Every change `id` waits for, directly or through others. */
function waitsFor(plan: Plan, id: string): Set<string> {
  const byId = new Map(plan.changes.map((c) => [c.id, c]));
  const seen = new Set<string>();
  const stack = [...(byId.get(id)?.dependsOn ?? [])];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    stack.push(...(byId.get(next)?.dependsOn ?? []));
  }
  return seen;
}

const change = (plan: Plan, id: string): Change | undefined => plan.changes.find((c) => c.id === id);

test('grow: one member adds node4 before node4 starts etcd as a member of the existing cluster; the others keep running', (t) => {
  const plan = planOf('55-etcd-grow-member-add-before-join');
  t.true(planGraph(plan.changes).ok);
  const runs = plan.changes.filter((c) => c.kind === 'command').map((c) => `${c.id} ${c.action}`);
  t.deepEqual(runs, [`${MEMBER_SYNC} run`, `${DATA_CHECK} run`], 'exactly one member (pick: first) asks etcd to add the new member');
  t.is(change(plan, MEMBER_SYNC)?.reason, 'file:/etc/etcd/members changed', 'the plan says why it runs');

  const start = change(plan, 'node4/service:etcd');
  t.is(start?.action, 'create');
  t.true(waitsFor(plan, 'node4/service:etcd').has(MEMBER_SYNC), `node4's etcd waits for the member add: ${start?.dependsOn.join(', ')}`);
  t.true(waitsFor(plan, DATA_CHECK).has(MEMBER_SYNC), 'node4 looks at its data only once the cluster lists it');
  t.true(waitsFor(plan, 'node4/service:etcd').has(DATA_CHECK), 'and before its etcd starts');
  const run = (start?.after as { content?: string } | null)?.content ?? JSON.stringify(start?.after);
  t.true(run.includes('--initial-cluster-state=existing'), run);
  t.true(run.includes('--initial-cluster=node1=http://198.18.0.11:2380,node2=http://198.18.0.12:2380,node3=http://198.18.0.13:2380,node4=http://198.18.0.14:2380'), 'existing members and itself');

  t.deepEqual(plan.changes.filter((c) => c.action === 'restart').map((c) => c.id), [], 'no staying member restarts');
  t.is(change(plan, 'node1/service:haproxy#reload')?.action, 'reload', 'the load balancer takes the new backend by a reload');
  t.is(change(plan, 'zone:lab/dns:lab/node4.lab.example.net./A')?.action, 'create');
});

test('shrink: one staying member removes node4 from etcd before any of node4 is dismantled', (t) => {
  const plan = planOf('56-etcd-shrink-member-remove-before-teardown');
  t.true(planGraph(plan.changes).ok);
  t.deepEqual(plan.changes.filter((c) => c.kind === 'command').map((c) => `${c.id} ${c.action}`), [`${MEMBER_SYNC} run`, `${DATA_CHECK} delete`]);
  const teardown = plan.changes.filter((c) => c.target.type === 'node' && c.target.name === 'node4');
  t.true(teardown.length >= 5 && teardown.every((c) => c.action === 'delete'), teardown.map((c) => `${c.id} ${c.action}`).join('\n'));
  for (const c of teardown) t.true(waitsFor(plan, c.id).has(MEMBER_SYNC), `${c.id} waits for the member remove`);
  t.false(waitsFor(plan, MEMBER_SYNC).has('node4/service:etcd'), 'the member is removed while it still runs, never after it stopped');
  t.is(change(plan, 'zone:lab/dns:lab/node4.lab.example.net./A')?.action, 'delete');
  t.deepEqual(plan.decommissioned, [{ node: 'node4', leaving: ['etcd'], remainingChanges: teardown.length, deletable: false }]);
});

test('after either, a re-plan of the converged site is empty (and says when node4\'s document can go)', (t) => {
  t.deepEqual(planOf('57-etcd-grown-replan-empty').changes, []);
  const shrunk = planOf('58-etcd-shrunk-node-document-deletable');
  t.deepEqual(shrunk.changes, []);
  t.deepEqual(shrunk.decommissioned, [{ node: 'node4', leaving: ['etcd'], remainingChanges: 0, deletable: true }]);
});

test('a bootstrap member that leaves hands the membership step to the next member, which removes it before its teardown', (t) => {
  const plan = planOf('59-etcd-bootstrap-member-leaves-membership-moves');
  t.true(planGraph(plan.changes).ok);
  t.is(change(plan, 'node2/command:etcd-membership')?.action, 'run', 'pick: first moves to node2');
  for (const c of plan.changes.filter((c) => c.target.name === 'node1')) {
    t.is(c.action, 'delete');
    t.true(waitsFor(plan, c.id).has('node2/command:etcd-membership'), `${c.id} waits for the member remove`);
  }
});
