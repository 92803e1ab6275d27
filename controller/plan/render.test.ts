import test from 'ava';
import { makePlan } from './make-plan.js';
import { renderText } from './render-text.js';
import { renderMarkdown } from './render-markdown.js';
import { renderJson } from './render-json.js';
import { unifiedDiff } from '../model/unified-diff.js';
import { renderServiceDefinition } from '../../reconcilers/service/definition.js';
import { appliedNode, command, desired, directory, file, inventory, node, resource, service } from '../../test/support/build-desired.js';
import { planHash } from './make-plan.js';
import type { ObservedFile } from '../../reconcilers/file/schema.js';
import { registry } from '../../reconcilers/registry.js';

const hash = (s: Parameters<typeof renderServiceDefinition>[0]) => renderServiceDefinition(s, 'runit').hash;
const site = (c: string) => [resource(file('/etc/app.conf', c)), resource(service('app', { restartOnChangeOf: ['file:/etc/app.conf'] }), ['n1/file:/etc/app.conf'])];

function changedPlan(worktree = false) {
  const inv = inventory({ n1: appliedNode(site('a=1\nb=2\n'), hash) });
  (inv.nodes.n1!.resources['file:/etc/app.conf'] as ObservedFile).content = 'a=1\nb=2\n';
  const d = desired([node('n1', site('a=1\nb=3\n'))]);
  d.revision.worktree = worktree;
  return makePlan(d, inv, { registry });
}

test('text: grouped by node with symbols, unified diff when the old content is known, summary line', (t) => {
  const text = renderText(changedPlan(), { registry, color: false });
  t.true(text.includes('\nn1\n  ~ update file:/etc/app.conf [main/base]\n'));
  t.true(text.includes('      @@ -1,2 +1,2 @@\n       a=1\n      -b=2\n      +b=3\n'));
  t.true(text.includes('  ↻ restart service:app [main/base]\n      file:/etc/app.conf changed\n'));
  t.true(text.includes('\nPlan: 0 to create, 1 to update, 0 to delete, 1 to restart, 0 to run.\n'));
  t.false(text.includes('\u001b['));
  t.true(renderText(changedPlan(), { registry, color: true }).includes('\u001b[33m~ update\u001b[0m'));
});

test('text: a change back to what underlay applied says it is drift; one Git asks for does not', (t) => {
  const inv = inventory({ n1: appliedNode(site('a=1\n'), hash) });
  (inv.nodes.n1!.resources['file:/etc/app.conf'] as ObservedFile).sha256 = 'e'.repeat(64);
  const drifted = renderText(makePlan(desired([node('n1', site('a=1\n'))]), inv, { registry }), { registry, color: false });
  t.regex(drifted, /~ update file:\/etc\/app.conf \[main\/base\]\n {6}[^\n]*\(drift: back to what underlay applied\)\n/);
  t.regex(drifted, /file:\/etc\/app.conf changed \(drift: back to what underlay applied\)\n/, 'so is the restart only it triggers');
  t.false(renderText(changedPlan(), { registry, color: false }).includes('(drift'));
});

test('text: no changes, and the worktree banner', (t) => {
  const resources = site('x\n');
  const plan = makePlan(desired([node('n1', resources)]), inventory({ n1: appliedNode(resources, hash) }), { registry });
  t.regex(renderText(plan, { registry, color: false }), /\nNo changes\. The nodes match revision c0ffee0{34}\.\n$/);
  t.regex(renderText(changedPlan(true), { registry, color: false }), /UNCOMMITTED WORKTREE/);
  t.regex(renderMarkdown(changedPlan(true), { registry }), /UNCOMMITTED WORKTREE/);
});

test('no changes with an unreachable node does not claim the nodes match', (t) => {
  const resources = site('x\n');
  const inv = inventory({ n1: { reachable: false, error: 'connection refused', facts: {}, managed: {}, resources: {} } });
  const plan = makePlan(desired([node('n1', resources)]), inv, { registry });
  t.is(plan.changes.length, 0);
  for (const rendered of [renderText(plan, { registry, color: false }), renderMarkdown(plan, { registry })]) {
    t.false(rendered.includes('The nodes match'), rendered);
    t.regex(rendered, /No changes planned for revision .*c0ffee0{34}.*, but not every node was checked/);
    t.regex(rendered, /node n1 was unreachable \(connection refused\)/);
  }
});

test('a plan made against assumed-empty nodes carries a banner and never claims the nodes match', (t) => {
  const plan = makePlan(desired([node('n1', [])]), inventory({}), { registry, observation: 'none' });
  t.is(plan.observation, 'none');
  t.is(planHash(plan), plan.hash, 'the field is part of what the hash binds');
  for (const rendered of [renderText(plan, { registry, color: false }), renderMarkdown(plan, { registry })]) {
    t.regex(rendered, /PLANNED AGAINST EMPTY NODES: nothing was observed/);
    t.false(rendered.includes('The nodes match'), rendered);
    t.regex(rendered, /No changes planned for revision .*c0ffee0{34}.*, but nothing was observed/);
  }
  t.false('observation' in makePlan(desired([node('n1', [])]), inventory({}), { registry }), 'absent when observed');
});

test('markdown: a table per node, details for content, no trailing spaces', (t) => {
  const md = renderMarkdown(changedPlan(), { registry });
  t.true(md.includes('### n1\n\n| | Action | Resource | Reason |\n|---|---|---|---|\n| ~ | update | `file:/etc/app.conf` |'));
  t.true(md.includes('<details><summary>~ update <code>file:/etc/app.conf</code></summary>'));
  t.false(/[ \t]$/m.test(md));
});

test('json: canonical, pretty, stable', (t) => {
  const json = renderJson(changedPlan());
  t.is(json, renderJson(changedPlan()));
  t.deepEqual(Object.keys(JSON.parse(json)), ['apiVersion', 'changes', 'hash', 'inventoryHash', 'kind', 'nodeInventoryHashes', 'revision', 'rollout', 'summary', 'warnings']);
});

/** A step with a command ordered after its directory and files, re-run when one of them (conf) changes. */
function stepWithCommand(conf: string, dirMode = '0755') {
  return [
    resource(directory('/etc/app', { mode: dirMode })),
    resource(file('/etc/app/app.conf', conf), ['n1/directory:/etc/app']),
    resource(file('/etc/app/other.conf', 'o\n'), ['n1/directory:/etc/app']),
    resource(command('app-reload', { onChangeOf: ['file:/etc/app/app.conf'] }), ['n1/directory:/etc/app', 'n1/file:/etc/app/app.conf', 'n1/file:/etc/app/other.conf']),
  ];
}

/** The change lines of a text plan, in the order printed. */
const changeLines = (text: string): string[] => text.split('\n').filter((l) => /^ {2}\S /.test(l)).map((l) => l.replace(/ \[.*$/, '').trim());

test('text and markdown list a node\'s changes in dependency order; the JSON keeps the plan\'s order and hash', (t) => {
  const plan = makePlan(desired([node('n1', stepWithCommand('a\n'))]), inventory({}), { registry });
  t.deepEqual(plan.changes.map((c) => c.key), ['command:app-reload', 'directory:/etc/app', 'file:/etc/app/app.conf', 'file:/etc/app/other.conf'], 'the plan itself is by id');
  const json = renderJson(plan);
  t.deepEqual(changeLines(renderText(plan, { registry, color: false })), [
    '+ create directory:/etc/app',
    '+ create file:/etc/app/app.conf',
    '+ create file:/etc/app/other.conf',
    '» run command:app-reload',
  ]);
  const rows = renderMarkdown(plan, { registry }).split('\n').filter((l) => /^\| [^|]+ \| (create|run) \|/.test(l)).map((l) => l.split('|')[3]!.trim());
  t.deepEqual(rows, ['`directory:/etc/app`', '`file:/etc/app/app.conf`', '`file:/etc/app/other.conf`', '`command:app-reload`']);
  t.is(renderJson(plan), json, 'rendering does not reorder the plan');
  t.is(planHash(plan), plan.hash);
});

test('a command\'s "after" line names only the changes that trigger it, not its ordering edges', (t) => {
  const first = makePlan(desired([node('n1', stepWithCommand('a\n'))]), inventory({}), { registry });
  const firstText = renderText(first, { registry, color: false });
  const runBlock = (text: string): string => text.slice(text.indexOf('» run command:app-reload'), text.indexOf('\n\n', text.indexOf('» run command:app-reload')));
  t.notRegex(runBlock(firstText), /after/, 'a first run is triggered by nothing in the plan');
  t.deepEqual(first.changes.find((c) => c.kind === 'command')?.dependsOn, ['n1/directory:/etc/app', 'n1/file:/etc/app/app.conf', 'n1/file:/etc/app/other.conf'], 'the edges stay in the plan');

  const applied = inventory({ n1: appliedNode(stepWithCommand('a\n'), hash) });
  const rerun = makePlan(desired([node('n1', stepWithCommand('b\n', '0750'))]), applied, { registry });
  t.deepEqual(rerun.changes.find((c) => c.kind === 'command')?.dependsOn, ['n1/directory:/etc/app', 'n1/file:/etc/app/app.conf']);
  t.deepEqual(changeLines(renderText(rerun, { registry, color: false })), ['~ update directory:/etc/app', '~ update file:/etc/app/app.conf', '» run command:app-reload']);
  t.regex(runBlock(renderText(rerun, { registry, color: false })), /\n {6}after n1\/file:\/etc\/app\/app\.conf$/);
  const service = renderText(changedPlan(), { registry, color: false });
  t.regex(service, /↻ restart service:app \[main\/base\]\n.*\n {6}after n1\/file:\/etc\/app\.conf\n/, 'other kinds keep every edge');
});

test('unified diff: hunks with context, minus before plus', (t) => {
  t.deepEqual(unifiedDiff('a\nb\nc\n', 'a\nB\nc\n'), ['@@ -1,3 +1,3 @@', ' a', '-b', '+B', ' c']);
  t.deepEqual(unifiedDiff('', 'x\n'), ['@@ -0,0 +1 @@', '+x']);
});
