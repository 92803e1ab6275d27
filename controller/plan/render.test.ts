import test from 'ava';
import { makePlan } from './make-plan.js';
import { renderText } from './render-text.js';
import { renderMarkdown } from './render-markdown.js';
import { renderJson } from './render-json.js';
import { unifiedDiff } from './unified-diff.js';
import { renderServiceDefinition } from '../../reconcilers/service/definition.js';
import { appliedNode, desired, file, inventory, node, resource, service } from '../../test/support/build-desired.js';
import type { ObservedFile } from '../inventory/inventory.js';

const hash = (s: Parameters<typeof renderServiceDefinition>[0]) => renderServiceDefinition(s, 'runit').hash;
const site = (c: string) => [resource(file('/etc/app.conf', c)), resource(service('app', { restartOnChangeOf: ['file:/etc/app.conf'] }), ['n1/file:/etc/app.conf'])];

function changedPlan(worktree = false) {
  const inv = inventory({ n1: appliedNode(site('a=1\nb=2\n'), hash) });
  (inv.nodes.n1!.resources['file:/etc/app.conf'] as ObservedFile).content = 'a=1\nb=2\n';
  const d = desired([node('n1', site('a=1\nb=3\n'))]);
  d.revision.worktree = worktree;
  return makePlan(d, inv);
}

test('text: grouped by node with symbols, unified diff when the old content is known, summary line', (t) => {
  const text = renderText(changedPlan(), { color: false });
  t.true(text.includes('\nn1\n  ~ update file:/etc/app.conf [main/base]\n'));
  t.true(text.includes('      @@ -1,2 +1,2 @@\n       a=1\n      -b=2\n      +b=3\n'));
  t.true(text.includes('  ↻ restart service:app [main/base]\n      file:/etc/app.conf changed\n'));
  t.true(text.includes('\nPlan: 0 to create, 1 to update, 0 to delete, 1 to restart, 0 to run.\n'));
  t.false(text.includes('\u001b['));
  t.true(renderText(changedPlan(), { color: true }).includes('\u001b[33m~ update\u001b[0m'));
});

test('text: no changes, and the worktree banner', (t) => {
  const resources = site('x\n');
  const plan = makePlan(desired([node('n1', resources)]), inventory({ n1: appliedNode(resources, hash) }));
  t.regex(renderText(plan, { color: false }), /\nNo changes\. The nodes match revision c0ffee0{34}\.\n$/);
  t.regex(renderText(changedPlan(true), { color: false }), /UNCOMMITTED WORKTREE/);
  t.regex(renderMarkdown(changedPlan(true)), /UNCOMMITTED WORKTREE/);
});

test('no changes with an unreachable node does not claim the nodes match', (t) => {
  const resources = site('x\n');
  const inv = inventory({ n1: { reachable: false, error: 'connection refused', facts: {}, managed: {}, resources: {} } });
  const plan = makePlan(desired([node('n1', resources)]), inv);
  t.is(plan.changes.length, 0);
  for (const rendered of [renderText(plan, { color: false }), renderMarkdown(plan)]) {
    t.false(rendered.includes('The nodes match'), rendered);
    t.regex(rendered, /No changes planned for revision .*c0ffee0{34}.*, but not every node was checked/);
    t.regex(rendered, /node n1 was unreachable \(connection refused\)/);
  }
});

test('markdown: a table per node, details for content, no trailing spaces', (t) => {
  const md = renderMarkdown(changedPlan());
  t.true(md.includes('### n1\n\n| | Action | Resource | Reason |\n|---|---|---|---|\n| ~ | update | `file:/etc/app.conf` |'));
  t.true(md.includes('<details><summary>~ update <code>file:/etc/app.conf</code></summary>'));
  t.false(/[ \t]$/m.test(md));
});

test('json: canonical, pretty, stable', (t) => {
  const json = renderJson(changedPlan());
  t.is(json, renderJson(changedPlan()));
  t.deepEqual(Object.keys(JSON.parse(json)), ['apiVersion', 'changes', 'hash', 'inventoryHash', 'kind', 'nodeInventoryHashes', 'revision', 'rollout', 'summary', 'warnings']);
});

test('unified diff: hunks with context, minus before plus', (t) => {
  t.deepEqual(unifiedDiff('a\nb\nc\n', 'a\nB\nc\n'), ['@@ -1,3 +1,3 @@', ' a', '-b', '+B', ' c']);
  t.deepEqual(unifiedDiff('', 'x\n'), ['@@ -0,0 +1 @@', '+x']);
});
