/**
 * The pull-request comment always fits GitHub's limit: a 2,000-node site whose pull request changes every
 * node differently, planned for real, must be cut, and the comment must say what it left out and how to see
 * it all; one that fits is not cut.
 */
import test from 'ava';
import { emptyInventory, type Inventory } from '../model/observed.js';
import { planRevision } from '../pipeline/plan-revision.js';
import { formatDiagnostic } from '../spec/diagnostic.js';
import { registry } from '../../reconcilers/registry.js';
import { convergedInventory } from '../../test/support/converged-inventory.js';
import { cluster, module, node, revisionOf, type FixtureFiles } from '../../test/support/site-files.js';
import { pullRequestPlan, type PullRequestPlan } from './pull-request-plan.js';
import { GITHUB_COMMENT_LIMIT, renderPullRequestMarkdown } from './render-pull-request-markdown.js';

const FULL = 'underlay plan --base origin/main --head HEAD --inventory inventory.json --output text';

function fleet(nodes: number, content: string, extra = ''): FixtureFiles {
  const files: FixtureFiles = {
    'modules/app.yaml': module('app', `  resources:\n    - file: {path: /etc/app.conf, content: "${content}"}\n    - service: {name: app, command: /usr/bin/app, restartOnChangeOf: ["file:/etc/app.conf"]}\n${extra}`),
    'clusters/lab.yaml': cluster('lab', '  rollout: {batchSize: 100, failureBudget: 5}\n  steps:\n    - name: app\n      module: app\n'),
  };
  // Addresses of their own by number: fixtureAddress's hash would give two of 2,000 nodes one address.
  for (let i = 1; i <= nodes; i++) {
    const name = `node${String(i).padStart(4, '0')}`;
    files[`nodes/${name}.yaml`] = node(name).replace(/address: .*/, `address: 10.1.${i >> 8}.${i & 255}`);
  }
  return files;
}

function planned(files: FixtureFiles, inventory: Inventory, commit: string) {
  const result = planRevision({ ...revisionOf(files), commit }, inventory, { registry });
  if (!result.plan || !result.desired) throw new Error(result.diagnostics.map(formatDiagnostic).join('\n'));
  return result as { plan: NonNullable<typeof result.plan>; desired: NonNullable<typeof result.desired> };
}

function pullRequest(baseFiles: FixtureFiles, headFiles: FixtureFiles): PullRequestPlan {
  const applied = planned(baseFiles, emptyInventory(), 'a'.repeat(40));
  const inventory = convergedInventory(applied.desired);
  const base = planned(baseFiles, inventory, 'b'.repeat(40));
  const head = planned(headFiles, inventory, 'c'.repeat(40));
  return pullRequestPlan({ base: base.plan, baseDesired: base.desired, head: head.plan, registry });
}

const big = pullRequest(fleet(2000, 'v1 {{ node.name }}\\n'), fleet(2000, 'v2 {{ node.name }} {{ node.address }}\\n'));

test('2,000 nodes changed each their own way: the comment fits, and says what it left out and how to see all of it', (t) => {
  t.is(big.groups.length, 2001, 'a row per node for its file, one for the same restart on all');
  const md = renderPullRequestMarkdown(big, { registry, fullCommand: FULL });
  t.true(md.length <= GITHUB_COMMENT_LIMIT, `${md.length} characters`);
  t.true(md.length > GITHUB_COMMENT_LIMIT - 4000, 'the room is used, not given away');
  const rows = md.split('\n').filter((l) => /^\| new \|/.test(l)).length;
  const note = /Left out: (\d+) row\(s\) of this pull request's changes \((\d+) change\(s\)\)/.exec(md);
  t.truthy(note, 'the comment says what it left out');
  t.is(rows + Number(note![1]), big.groups.length, 'shown and left-out rows add up to all of them');
  t.true(md.includes(`All of it: \`${FULL}\``));
  t.true(md.includes('| new | node0001…node2000 (2000) | ↻ restart | `service:app` |'), 'the row that stands for most changes is kept first');
  t.true(md.includes('**This pull request: 4000 new, 0 changed, 0 gone, on 2000 target(s).**'), 'the summary is never cut');
  t.true(md.includes('| lab | 2000 of 2000 member(s) disrupted in 20 batch(es), at most 100 of 2000 (5%) down at once; failure budget 5; made by this pull request |'), 'nor the blast radius');
});

test('a comment that fits is not cut and says nothing about cutting', (t) => {
  const small = pullRequest(fleet(40, 'v1\\n'), fleet(40, 'v2\\n'));
  const md = renderPullRequestMarkdown(small, { registry, fullCommand: FULL });
  t.false(md.includes('Left out'));
  t.true(md.includes('| new | node0001…node0040 (40) | ~ update | `file:/etc/app.conf` |'));
  t.true(md.includes('-v1\n+v2'), 'the diff of the text, base to head');
});

test('under a tight limit, rows come before diffs, and a diff too long for the comment is cut and says so', (t) => {
  const long = Array.from({ length: 30 }, (_, i) => `${i} ${'x'.repeat(600)}`).join('\\n');
  const pr = pullRequest(fleet(3, 'v1\\n'), fleet(3, `v2\\n${long}\\n`));
  const roomy = renderPullRequestMarkdown(pr, { registry, fullCommand: FULL });
  t.regex(roomy, /# … \d+ more line\(s\) not shown here \(see the full plan\)/);
  const tight = renderPullRequestMarkdown(pr, { registry, fullCommand: FULL, limit: 3000 });
  t.true(tight.length <= 3000, `${tight.length}`);
  t.true(tight.includes('| new | node0001…node0003 (3) | ~ update |'));
  t.regex(tight, /Left out: the diffs of 1 row\(s\)/);
});
