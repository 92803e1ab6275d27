/**
 * `underlay rollout status` as text: per cluster, where its rollout stands (status and why), the batches
 * done and the one in flight, the failure budget used across the rollout, each failed node with the gate
 * that failed and its output, an operator's pending request, and the last good revision.
 */
import { failedNodeLine } from '../rollout/rollout-state.js';
import type { StoredRollout } from '../store/rollout-states.js';

const list = (items: readonly string[]): string => (items.length === 0 ? 'none' : items.join(', '));

function rolloutLines(r: StoredRollout): string[] {
  const { state } = r;
  const reason = state.reason !== undefined ? ` (${state.reason})` : '';
  const inFlight = state.inFlight ? `; in flight: batch ${state.inFlight.batch} (changed: ${list(state.inFlight.changed)})` : '';
  return [
    `Rollout of cluster ${r.cluster} at ${state.revision}: ${state.status}${reason}${r.request !== null ? `, ${r.request} asked for` : ''}`,
    `  batches done: ${list(state.batchesDone.map(String))}${inFlight}`,
    `  failure budget: ${state.budget.used} of ${state.budget.allowed} used`,
    ...state.failed.map((f) => `  failed in batch ${f.batch}: ${failedNodeLine(f)}`),
    ...(state.recovered.length > 0 ? [`  healthy again (resumed with --recovered): ${list(state.recovered)}`] : []),
    ...(state.rolledBack.length > 0 ? [`  rolled back: ${list(state.rolledBack)}`] : []),
    `  last good revision: ${r.lastGoodRevision ?? 'none yet'}; updated ${r.updatedAt}`,
  ];
}

export function renderRolloutStatusText(rollouts: readonly StoredRollout[]): string {
  if (rollouts.length === 0) return 'No rollout on record.\n';
  return `${rollouts.flatMap((r, i) => [...(i > 0 ? [''] : []), ...rolloutLines(r)]).join('\n')}\n`;
}
