/**
 * FAKE site for the rollout crash test: six nodes, each a config file and the restart it triggers, as marker
 * files in a directory (fake-marker-site.ts's way), rolled out two at a time.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { planRolloutIntents } from '../../controller/rollout/rollout-planner.js';
import { DEFAULT_ROLLOUT_POLICY } from '../../controller/spec/rollout-policy.js';
import type { Change } from '../../controller/model/change.js';
import { change, testPlan } from './fake-apply.js';

export const ROLLOUT_NODES = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'];

export const rolloutMarker = (dir: string, id: string): string => path.join(dir, id.replaceAll('/', '__'));

function site(): Change[] {
  return ROLLOUT_NODES.flatMap((n) => [
    change(`${n}/file:/etc/app.conf`, { action: 'update', cluster: 'app' }),
    change(`${n}/service:app#restart`, { action: 'restart', disruptive: true, cluster: 'app', dependsOn: [`${n}/file:/etc/app.conf`] }),
  ]);
}

/** The fake re-plan: the changes whose marker is missing, and the rollout of the nodes with a restart left. */
export function replanRollout(dir: string) {
  const todo = site().filter((c) => !existsSync(rolloutMarker(dir, c.id)));
  const ids = new Set(todo.map((c) => c.id));
  const changes = todo.map((c) => ({ ...c, dependsOn: c.dependsOn.filter((d) => ids.has(d)) }));
  const plan = testPlan(changes);
  const intents = planRolloutIntents({
    cluster: 'app',
    policy: { ...DEFAULT_ROLLOUT_POLICY, maxUnavailable: 2 },
    members: ROLLOUT_NODES.map((name) => ({ name, labels: {} })),
    disrupted: [...new Set(changes.filter((c) => c.disruptive).map((c) => c.target.name))],
    unavailable: [],
  });
  return { ...plan, rollout: intents.batches.length > 0 ? [intents] : [] };
}

