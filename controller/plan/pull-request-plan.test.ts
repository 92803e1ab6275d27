/**
 * Pull-request plans from real plans: sites written as YAML, loaded, resolved and planned against one
 * snapshot (the base applied: test/support/converged-inventory.ts), then compared.
 */
import test from 'ava';
import type { Inventory } from '../model/observed.js';
import { planRevision } from '../pipeline/plan-revision.js';
import { emptyInventory } from '../model/observed.js';
import { formatDiagnostic } from '../spec/diagnostic.js';
import { registry } from '../../reconcilers/registry.js';
import { convergedInventory } from '../../test/support/converged-inventory.js';
import { cluster, module, node, revisionOf, type FixtureFiles } from '../../test/support/site-files.js';
import { pullRequestPlan, type PullRequestPlan } from './pull-request-plan.js';

interface SiteShape {
  nodes: number;
  /** The module's resources, YAML list items. */
  resources: string;
  batchSize?: number;
}

export function site({ nodes, resources, batchSize = 2 }: SiteShape): FixtureFiles {
  const files: FixtureFiles = {
    'modules/app.yaml': module('app', `  resources:\n${resources}`),
    'clusters/lab.yaml': cluster('lab', `  rollout: {batchSize: ${batchSize}, failureBudget: 1}\n  steps:\n    - name: app\n      module: app\n`),
  };
  for (let i = 1; i <= nodes; i++) files[`nodes/n${String(i).padStart(2, '0')}.yaml`] = node(`n${String(i).padStart(2, '0')}`);
  return files;
}

function planned(files: FixtureFiles, inventory: Inventory, commit: string) {
  const result = planRevision({ ...revisionOf(files), commit }, inventory, { registry });
  if (!result.plan || !result.desired) throw new Error(result.diagnostics.map(formatDiagnostic).join('\n'));
  return { plan: result.plan, desired: result.desired };
}

/** The base applied to every node: what a snapshot of a converged site says. */
function appliedSnapshot(files: FixtureFiles): Inventory {
  const applied = planned(files, emptyInventory(), 'a'.repeat(40));
  return convergedInventory(applied.desired);
}

function compare(baseFiles: FixtureFiles, headFiles: FixtureFiles, inventory = appliedSnapshot(baseFiles)): PullRequestPlan {
  const base = planned(baseFiles, inventory, 'b'.repeat(40));
  const head = planned(headFiles, inventory, 'c'.repeat(40));
  return pullRequestPlan({ base: base.plan, baseDesired: base.desired, head: head.plan, registry });
}

const FILES = `    - file: {path: /etc/app.conf, content: "level = {{ inputs.level }}\\n"}
    - file: {path: /etc/app.id, content: "{{ node.name }}\\n"}
    - service: {name: app, command: /usr/bin/app, restartOnChangeOf: ["file:/etc/app.conf"]}
`;
const withLevel = (files: FixtureFiles, level: string): FixtureFiles => ({
  ...files,
  'modules/app.yaml': module('app', `  inputs:\n    level: {type: string, default: ${level}}\n  resources:\n${FILES}`),
});

test('a change only the head plans is new, and identical ones across nodes are one group with the rollout it causes', (t) => {
  const base = withLevel(site({ nodes: 6, resources: '' }), 'info');
  const pr = compare(base, withLevel(base, 'debug'));
  t.deepEqual(pr.summary, { new: 12, changed: 0, gone: 0, unchanged: 0, targets: 6 });
  t.deepEqual(
    pr.groups.map((g) => [g.mark, g.action, g.key, g.targets.length]),
    [
      ['new', 'update', 'file:/etc/app.conf', 6],
      ['new', 'restart', 'service:app', 6],
    ],
  );
  t.deepEqual(pr.blastRadius, [{ cluster: 'lab', members: 6, disrupted: 6, batches: 3, atOnce: 2, atOnceShare: '2 of 6 (33%)', held: 0, failureBudget: 1, changedByPullRequest: true }]);
  const conf = pr.changes.find((m) => m.change.id === 'n01/file:/etc/app.conf')!;
  t.is(conf.beforeContent, 'level = info\n', 'the node is at the base hash, so its text is known from the base');
});

test('changes the base plans alike are unchanged, those the head plans otherwise are changed, those it drops are gone', (t) => {
  const observed = withLevel(site({ nodes: 3, resources: '' }), 'info');
  const inventory = appliedSnapshot(observed);
  const base = withLevel(observed, 'warn');
  const unchanged = compare(base, base, inventory);
  t.deepEqual(unchanged.summary, { new: 0, changed: 0, gone: 0, unchanged: 6, targets: 0 });
  const changed = compare(base, withLevel(observed, 'debug'), inventory);
  t.deepEqual(changed.summary, { new: 0, changed: 3, gone: 0, unchanged: 3, targets: 3 });
  t.deepEqual(changed.groups.find((g) => g.mark === 'changed')?.differs, ['reason', 'after.content', 'after.sha256', 'after.size']);
  const conf = changed.changes.find((m) => m.mark === 'changed' && m.change.key === 'file:/etc/app.conf');
  t.is(conf?.baseContent, 'level = warn\n', 'what the base would write, against which the head writes another text');
  t.is(conf?.beforeContent, undefined, 'the node is not at the base: what it holds is known by hash only');
  const reverted = compare(base, observed, inventory);
  t.deepEqual(reverted.summary, { new: 0, changed: 0, gone: 6, unchanged: 0, targets: 3 });
  t.deepEqual(reverted.blastRadius, [], 'the head rolls nothing out');
});

test('changes that differ per node are not grouped, and a hash the base does not hold gives no text', (t) => {
  const base = withLevel(site({ nodes: 3, resources: '' }), 'info');
  const head = { ...base, 'modules/app.yaml': String(base['modules/app.yaml']).replace('"{{ node.name }}\\n"', '"id {{ node.name }}\\n"') };
  const inventory = appliedSnapshot(base);
  inventory.nodes.n02!.resources['file:/etc/app.id'] = { ...inventory.nodes.n02!.resources['file:/etc/app.id']!, sha256: 'f'.repeat(64) };
  const pr = compare(base, head, inventory);
  // n02 drifted: the base plans to put its file back, the head to write the new one there, so it is changed.
  t.deepEqual(
    pr.groups.map((g) => [g.mark, g.targets]),
    [
      ['new', ['n01']],
      ['new', ['n03']],
      ['changed', ['n02']],
    ],
  );
  t.deepEqual(
    pr.changes.map((m) => [m.change.id, m.beforeContent]),
    [
      ['n01/file:/etc/app.id', 'n01\n'],
      ['n03/file:/etc/app.id', 'n03\n'],
      ['n02/file:/etc/app.id', undefined],
    ],
  );
});

test('without a base plan, every change of the head is new and the plan says why', (t) => {
  const head = withLevel(site({ nodes: 2, resources: '' }), 'info');
  const planned2 = planned(head, emptyInventory(), 'c'.repeat(40));
  const pr = pullRequestPlan({ base: null, baseProblem: { problem: '1 error(s) in the base revision' }, head: planned2.plan, registry });
  t.deepEqual(pr.base, { problem: '1 error(s) in the base revision' });
  t.is(pr.summary.new, planned2.plan.changes.length);
});
