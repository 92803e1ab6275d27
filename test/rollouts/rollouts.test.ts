/**
 * Golden rollout simulations, after Cluster API's rolling-update testdata: each folder holds the planner's
 * input (`plan.json`: the cluster's `rollout` fields as a site writes them, the Site's defaults, the members
 * with their labels, the disrupted and the already-down nodes), what happens (`outcomes.json`: gate results,
 * a crash, the operator's actions, a new commit) and the log an operator sees (`events.golden`); `README.md` says
 * what the scenario shows.
 * `UPDATE_GOLDEN=1 npx ava test/rollouts/rollouts.test.ts` rewrites the goldens; review the diff like any other change.
 */
import test from 'ava';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderRolloutLog } from '../../controller/rollout/rollout-log.js';
import { planRolloutIntents, type RolloutPlanInput } from '../../controller/rollout/rollout-planner.js';
import { simulateRollout, type RolloutOutcomes } from '../../controller/rollout/rollout-simulator.js';
import { effectiveRolloutPolicy } from '../../controller/spec/rollout-policy.js';
import { RolloutPolicy } from '../../controller/spec/schema.js';

const here = dirname(fileURLToPath(import.meta.url));
const update = process.env.UPDATE_GOLDEN === '1';
const scenarios = readdirSync(here, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();

interface ScenarioPlan {
  cluster: string;
  /** The Cluster's `rollout` fields, as in YAML. */
  rollout: unknown;
  /** The Site's `rollout` defaults. */
  site?: unknown;
  /** Member name -> its labels. */
  members: Record<string, Record<string, string>>;
  /** Default: every member. */
  disrupted?: string[];
  unavailable?: string[];
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

function plannerInput(plan: ScenarioPlan, disrupted?: string[]): RolloutPlanInput {
  const members = Object.entries(plan.members).map(([name, labels]) => ({ name, labels }));
  return {
    cluster: plan.cluster,
    policy: effectiveRolloutPolicy(RolloutPolicy.parse(plan.site ?? {}), RolloutPolicy.parse(plan.rollout)),
    members,
    disrupted: disrupted ?? plan.disrupted ?? members.map((m) => m.name),
    unavailable: plan.unavailable ?? [],
  };
}

test('there are enough scenarios to cover the rollout', (t) => {
  t.true(scenarios.length >= 12, `only ${scenarios.length} scenarios`);
});

for (const name of scenarios) {
  test(name, (t) => {
    const dir = join(here, name);
    const plan = readJson<ScenarioPlan>(join(dir, 'plan.json'));
    const intents = planRolloutIntents(plannerInput(plan));
    const simulation = simulateRollout({
      intents,
      outcomes: readJson<RolloutOutcomes>(join(dir, 'outcomes.json')),
      replan: (disrupted) => planRolloutIntents(plannerInput(plan, disrupted)),
    });
    const actual = renderRolloutLog(intents, simulation);
    const path = join(dir, 'events.golden');
    if (update) writeFileSync(path, actual);
    t.is(actual, existsSync(path) ? readFileSync(path, 'utf8') : '(missing golden: run with UPDATE_GOLDEN=1)', `${name}/events.golden`);
  });
}
