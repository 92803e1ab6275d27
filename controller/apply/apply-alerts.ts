/**
 * What an apply's change set means for alerts: an ApplyFailed incident per node that failed (resolved when
 * the node converges in a later run), a RolloutHalted incident per cluster whose breaker tripped (resolved
 * by a run of the site that halts nothing). The controller raises and resolves them after every apply.
 */
import type { Alert, AlertReason } from '../alerts/alert.js';
import type { ChangeSet } from './change-set.js';
import { byCodeUnit } from '../model/order.js';

export interface AlertChanges {
  raise: Alert[];
  resolve: { reason: AlertReason; key: string }[];
}

/** `clusters`: the site's clusters, whose halted rollouts a run that halts nothing resolves. */
export function applyAlerts(input: { site: string; revision: string; changeSet: ChangeSet; clusters: readonly string[] }): AlertChanges {
  const { site, revision, changeSet } = input;
  const out: AlertChanges = { raise: [], resolve: [] };
  for (const [node, result] of Object.entries(changeSet.nodes).sort(([a], [b]) => byCodeUnit(a, b))) {
    if (result.converged) out.resolve.push({ reason: 'ApplyFailed', key: node });
    else if (result.error) {
      const { code, message } = result.error;
      out.raise.push({ site, reason: 'ApplyFailed', key: node, summary: `apply failed on ${node}: ${message} [${code}]`, details: { node, run: changeSet.runId, revision, code, message } });
    }
  }
  const halted = new Set<string>();
  for (const c of changeSet.conditions.filter((x) => x.type === 'RolloutHalted')) {
    const cluster = c.cluster ?? '';
    halted.add(cluster);
    out.raise.push({ site, reason: 'RolloutHalted', key: cluster, summary: `rollout of cluster ${cluster} halted: ${c.message} [${c.reason}]`, details: { cluster, run: changeSet.runId, revision, reason: c.reason, message: c.message } });
  }
  for (const cluster of input.clusters) if (!halted.has(cluster)) out.resolve.push({ reason: 'RolloutHalted', key: cluster });
  return out;
}
