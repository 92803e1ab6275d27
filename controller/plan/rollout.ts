/**
 * The plan's rollout: per cluster with disruptive changes, the intents of the pure rollout planner
 * (controller/rollout/rollout-planner.ts) for its members, its disrupted nodes and the members already down
 * (unreachable when observed). Apply carries these out; it does not re-derive batches.
 */
import type { DesiredCluster, DesiredNode } from '../model/desired.js';
import type { Inventory } from '../model/observed.js';
import type { RolloutIntents } from '../model/rollout.js';
import { byCodeUnit } from '../model/order.js';
import { planRolloutIntents } from '../rollout/rollout-planner.js';

export function planRollout(
  at: { clusters: readonly DesiredCluster[]; nodes: readonly DesiredNode[]; inventory: Inventory },
  disruptedNodes: ReadonlySet<string>,
): RolloutIntents[] {
  const labelsOf = new Map(at.nodes.map((n) => [n.name, n.labels]));
  const out: RolloutIntents[] = [];
  for (const cluster of [...at.clusters].sort((a, b) => byCodeUnit(a.name, b.name))) {
    const disrupted = cluster.nodes.filter((n) => disruptedNodes.has(n));
    if (disrupted.length === 0) continue;
    const intents = planRolloutIntents({
      cluster: cluster.name,
      policy: cluster.rollout,
      members: cluster.nodes.map((name) => ({ name, labels: labelsOf.get(name) ?? {} })),
      disrupted,
      unavailable: cluster.nodes.filter((n) => at.inventory.nodes[n]?.reachable === false),
      ...(cluster.gates ? { gates: cluster.gates } : {}),
    });
    out.push(intents);
  }
  return out;
}
