/**
 * Golden pull-request plans: each folder holds a pull request's `base/` and `head/` site, and `observed/`,
 * the revision the nodes were last applied at (else the base): the snapshot both are planned against is
 * that revision converged (test/support/converged-inventory.ts). The expected comment (`pr.md`), text
 * (`pr.txt`) and JSON (`pr.json`) are golden files; `UPDATE_GOLDEN=1 npx ava test/pull-request-plans/` rewrites
 * them, and the diff is reviewed like any other change.
 */
import test from 'ava';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canonicalJson } from '../../controller/model/canonical-json.js';
import { emptyInventory } from '../../controller/model/observed.js';
import { planRevision } from '../../controller/pipeline/plan-revision.js';
import { pullRequestPlan, unplannedBase } from '../../controller/plan/pull-request-plan.js';
import { GITHUB_COMMENT_LIMIT, renderPullRequestMarkdown } from '../../controller/plan/render-pull-request-markdown.js';
import { renderPullRequestText } from '../../controller/plan/render-pull-request-text.js';
import { formatDiagnostic } from '../../controller/spec/diagnostic.js';
import { registry } from '../../reconcilers/registry.js';
import { convergedInventory } from '../support/converged-inventory.js';
import { revisionFromDir } from '../support/revision-from-dir.js';

const here = dirname(fileURLToPath(import.meta.url));
const update = process.env.UPDATE_GOLDEN === '1';
const scenarios = readdirSync(here, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
const FULL_COMMAND = 'underlay plan --base origin/main --head HEAD --inventory inventory.json --output text';

function snapshotOf(dir: string) {
  const observed = revisionFromDir(join(dir, existsSync(join(dir, 'observed')) ? 'observed' : 'base'), { commit: '0'.repeat(40) });
  const applied = planRevision(observed, emptyInventory(), { registry });
  if (!applied.plan || !applied.desired) throw new Error(applied.diagnostics.map(formatDiagnostic).join('\n'));
  return convergedInventory(applied.desired, '2026-01-01T00:00:00Z');
}

test('there are pull-request plan scenarios', (t) => {
  t.true(scenarios.length >= 3, `only ${scenarios.length}`);
});

for (const name of scenarios) {
  test(name, (t) => {
    const dir = join(here, name);
    const inventory = snapshotOf(dir);
    const base = planRevision(revisionFromDir(join(dir, 'base'), { commit: 'b'.repeat(40), ref: 'main' }), inventory, { registry });
    const head = planRevision(revisionFromDir(join(dir, 'head'), { commit: 'c'.repeat(40), ref: 'pull/7/head' }), inventory, { registry });
    if (!head.plan || !head.desired) return t.fail(head.diagnostics.map(formatDiagnostic).join('\n'));
    const problem = base.plan ? {} : { baseProblem: unplannedBase({ source: 'scenario', ref: 'main', commit: 'b'.repeat(40), worktree: false }, base.diagnostics, 'it did not plan') };
    const pr = pullRequestPlan({ base: base.plan, ...problem, baseDesired: base.desired, head: head.plan, registry, observedAt: inventory.observedAt });
    const outputs = {
      'pr.md': renderPullRequestMarkdown(pr, { registry, fullCommand: FULL_COMMAND }),
      'pr.txt': renderPullRequestText(pr, { registry }),
      'pr.json': `${canonicalJson(pr, 2)}\n`,
    };
    t.true(outputs['pr.md'].length <= GITHUB_COMMENT_LIMIT);
    for (const [file, actual] of Object.entries(outputs)) {
      const path = join(dir, file);
      if (update) writeFileSync(path, actual);
      t.is(actual, existsSync(path) ? readFileSync(path, 'utf8') : '(missing golden: run with UPDATE_GOLDEN=1)', `${name}/${file}`);
    }
  });
}
