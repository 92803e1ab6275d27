/**
 * Rollout batches: per cluster, the nodes with disruptive changes, in name order, chunked by batchSize.
 */
import type { DesiredCluster } from '../model/desired.js';
import type { RolloutBatches } from '../model/plan.js';
import { byCodeUnit } from '../model/order.js';

export function planRollout(clusters: readonly DesiredCluster[], disruptedNodes: ReadonlySet<string>): RolloutBatches[] {
  const out: RolloutBatches[] = [];
  for (const cluster of [...clusters].sort((a, b) => byCodeUnit(a.name, b.name))) {
    const nodes = cluster.nodes.filter((n) => disruptedNodes.has(n)).sort();
    if (nodes.length === 0) continue;
    const size = Math.max(1, cluster.batchSize);
    const batches: string[][] = [];
    for (let i = 0; i < nodes.length; i += size) batches.push(nodes.slice(i, i + size));
    out.push({ cluster: cluster.name, batches, failureBudget: cluster.failureBudget, ...(cluster.health ? { health: cluster.health } : {}) });
  }
  return out;
}
