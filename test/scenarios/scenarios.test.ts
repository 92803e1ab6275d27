/**
 * Golden plan scenarios: each folder holds a site (`repo/`), optionally the inventory it is planned
 * against (`inventory.json`, a snapshot of either format: most are v1alpha1, so they also prove it is still read; else the empty inventory of a first apply) and `options.json`
 * ({"now", "worktree", "observation"}), and the expected plan as text, JSON and Markdown. The commit id is the fixed
 * fake FAKE_COMMIT so goldens do not depend on Git. A `repo/` may hold only what it changes on a site shared under
 * `_sites/` (its `.base` names it: test/support/revision-from-dir.ts). `UPDATE_GOLDEN=1 npx ava test/scenarios/scenarios.test.ts`
 * rewrites the goldens; review the diff like any other change.
 */
import test from 'ava';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emptyInventory } from '../../controller/model/observed.js';
import { SnapshotSchema } from '../../controller/inventory/inventory.js';
import { planRevision } from '../../controller/pipeline/plan-revision.js';
import { planGraph } from '../../controller/plan/plan-graph.js';
import { renderJson } from '../../controller/plan/render-json.js';
import { renderMarkdown } from '../../controller/plan/render-markdown.js';
import { renderText } from '../../controller/plan/render-text.js';
import { formatDiagnostic } from '../../controller/spec/diagnostic.js';
import { revisionFromDir } from '../support/revision-from-dir.js';
import { registry } from '../../reconcilers/registry.js';

const here = dirname(fileURLToPath(import.meta.url));
const update = process.env.UPDATE_GOLDEN === '1';
const scenarios = readdirSync(here, { withFileTypes: true }).filter((e) => e.isDirectory() && !e.name.startsWith('_')).map((e) => e.name).sort();

interface ScenarioOptions {
  now?: string;
  worktree?: boolean;
  observation?: 'none';
}

function readJson<T>(path: string, fallback: T): T {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : fallback;
}

test('there are enough scenarios to cover the planner', (t) => {
  t.true(scenarios.length >= 16, `only ${scenarios.length} scenarios`);
});

for (const name of scenarios) {
  test(name, (t) => {
    const dir = join(here, name);
    const options = readJson<ScenarioOptions>(join(dir, 'options.json'), {});
    const inventory = existsSync(join(dir, 'inventory.json')) ? SnapshotSchema.parse(readJson(join(dir, 'inventory.json'), {})) : emptyInventory();
    const revision = revisionFromDir(join(dir, 'repo'), options.worktree ? { commit: 'worktree', worktree: true } : {});
    const result = planRevision(revision, inventory, { registry, ...(options.now ? { now: options.now } : {}), ...(options.observation ? { observation: options.observation } : {}) });
    if (!result.plan) return t.fail(result.diagnostics.map(formatDiagnostic).join('\n'));
    t.true(planGraph(result.plan.changes).ok, 'change graph must be acyclic and closed');
    const outputs = { 'plan.txt': renderText(result.plan, { registry, color: false }), 'plan.json': renderJson(result.plan), 'plan.md': renderMarkdown(result.plan, { registry }) };
    for (const [file, actual] of Object.entries(outputs)) {
      const path = join(dir, file);
      if (update) writeFileSync(path, actual);
      t.is(actual, existsSync(path) ? readFileSync(path, 'utf8') : '(missing golden: run with UPDATE_GOLDEN=1)', `${name}/${file}`);
    }
  });
}
