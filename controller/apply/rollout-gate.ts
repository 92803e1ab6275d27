/**
 * A rollout batch's gate: after the batch's changes settled, are its restarted nodes healthy, and does the
 * circuit breaker let the next batch start? An unhealthy node fails; a halt skips the cluster's later batches.
 */
import type { Change } from '../model/change.js';
import { describeError } from '../model/errors.js';
import { targetLabel } from '../model/target.js';
import type { RunCondition } from '../store/store.js';
import { circuitBreaker } from '../rollout/circuit-breaker.js';
import type { ApplyRun } from './apply-run.js';
import type { WalkOutcome } from './graph-walk.js';
import type { HealthCheck } from './health-check.js';
import type { GateItem } from './walk-items.js';

export async function visitGate(run: ApplyRun, item: GateItem, healthCheck: HealthCheck): Promise<WalkOutcome> {
  const { rollout, batch } = item.gate;
  const batchNodes = rollout.batches[batch]?.nodes ?? [];
  if (run.halted.has(rollout.cluster)) return { status: 'skipped', reason: 'rollout halted' };
  const failed: Record<string, string> = {};
  const unhealthy: Record<string, string> = {};
  for (const node of batchNodes) {
    const error = run.failedNodes.get(node);
    if (error !== undefined) failed[node] = error.message;
    else await checkHealth(run, { node, batch, healthCheck }, unhealthy);
  }
  run.options.onEvent?.({ type: 'batch-gate', cluster: rollout.cluster, batch: batch + 1, nodes: batchNodes, failed, unhealthy });
  const remainingBatches = rollout.batches.length - batch - 1;
  if (remainingBatches === 0) return { status: 'succeeded' };
  const rolledOut = new Set(rollout.batches.slice(0, batch + 1).flatMap((b) => b.nodes));
  const decision = circuitBreaker({
    cluster: rollout.cluster,
    failedNodes: [...run.failedNodes.keys()].filter((n) => rolledOut.has(n)),
    failureBudget: rollout.failureBudget,
    remainingBatches,
  });
  if (decision.state === 'allowed') return { status: 'succeeded' };
  const condition: RunCondition = { type: 'RolloutHalted', reason: decision.reason, message: decision.message, cluster: rollout.cluster };
  run.halted.set(rollout.cluster, condition);
  run.options.onEvent?.({ type: 'rollout-halted', condition });
  return { status: 'failed', error: decision.message };
}

/** Health-checks what the batch restarted on one node; an unhealthy node fails, and the gate says why. */
async function checkHealth(run: ApplyRun, at: { node: string; batch: number; healthCheck: HealthCheck }, unhealthy: Record<string, string>): Promise<void> {
  const { node, batch, healthCheck } = at;
  const ctx = run.context(node);
  if (!ctx) return;
  // A reload is no reason to batch a node, but one that is batched has its reloaded services checked too.
  const restarted: Change[] = run.plan.changes.filter((c) => targetLabel(c.target) === node && (c.disruptive || c.action === 'reload') && run.results.get(c.id)?.outcome === 'applied');
  if (restarted.length === 0) return;
  let health;
  try {
    health = await healthCheck.check(ctx, restarted);
  } catch (e) {
    health = { healthy: false as const, message: `health check failed: ${describeError(e)}` };
  }
  if (health.healthy) return;
  unhealthy[node] = health.message;
  run.failedNodes.set(node, { code: 'Unhealthy', message: `unhealthy after rollout batch ${batch + 1}: ${health.message}` });
}
