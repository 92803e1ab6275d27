/**
 * A rollout batch's gate: after the batch's changes settled, are its nodes healthy (service-up, then the
 * gates their modules, the Site and the Cluster declare, each retried until the progress deadline), and does
 * the circuit breaker let the next batch start? An unhealthy node fails; a node that passed is undrained; a
 * halt skips the cluster's later batches and names each failed node with the gate and its output.
 */
import type { Change } from '../model/change.js';
import { describeError } from '../model/errors.js';
import { targetLabel } from '../model/target.js';
import type { RunCondition } from '../store/store.js';
import { circuitBreaker } from '../rollout/circuit-breaker.js';
import type { ApplyRun } from './apply-run.js';
import { describeVerdict, rolloutMembers, runDrainSteps, runNodeGates, type BatchHealthDeps } from './batch-health.js';
import type { GateAttempt } from './gate-runner.js';
import type { WalkOutcome } from './graph-walk.js';
import type { HealthCheck } from './health-check.js';
import type { GateItem } from './walk-items.js';

export interface RolloutGateDeps {
  healthCheck: HealthCheck;
  health: BatchHealthDeps;
}

export async function visitGate(run: ApplyRun, item: GateItem, deps: RolloutGateDeps): Promise<WalkOutcome> {
  const { rollout, batch } = item.gate;
  const batchNodes = rollout.batches[batch] ?? [];
  if (run.halted.has(rollout.cluster)) return { status: 'skipped', reason: 'rollout halted' };
  const failed: Record<string, string> = {};
  const unhealthy: Record<string, string> = {};
  const passed: string[] = [];
  for (const node of batchNodes) {
    const error = run.failedNodes.get(node);
    if (error !== undefined) failed[node] = error.message;
    else await checkHealth(run, { node, batch, item, passed, deps }, unhealthy);
  }
  run.options.onEvent?.({ type: 'batch-gate', cluster: rollout.cluster, batch: batch + 1, nodes: batchNodes, failed, unhealthy });
  const remainingBatches = rollout.batches.length - batch - 1;
  if (remainingBatches === 0) return { status: 'succeeded' };
  const rolledOut = new Set(rollout.batches.slice(0, batch + 1).flat());
  const failedNodes = [...run.failedNodes.keys()].filter((n) => rolledOut.has(n));
  const decision = circuitBreaker({ cluster: rollout.cluster, failedNodes, failureBudget: rollout.failureBudget, remainingBatches });
  if (decision.state === 'allowed') return { status: 'succeeded' };
  const why = failedNodes.sort().map((n) => `${n}: ${run.failedNodes.get(n)!.message}`);
  const message = rollout.health ? `${decision.message} [${why.join('; ')}]` : decision.message;
  const condition: RunCondition = { type: 'RolloutHalted', reason: decision.reason, message, cluster: rollout.cluster };
  run.halted.set(rollout.cluster, condition);
  run.options.onEvent?.({ type: 'rollout-halted', condition });
  return { status: 'failed', error: message };
}

/**
 * service-up for one node: are the services of its disruptive (and reloaded) changes running? `applied`
 * after the batch (what it restarted), `planned` before it (what it is about to restart). Nothing to ask: up.
 */
export function serviceUpOf(run: ApplyRun, node: string, healthCheck: HealthCheck, which: 'applied' | 'planned'): () => Promise<GateAttempt> {
  return async () => {
    const ctx = run.context(node);
    // A reload is no reason to batch a node, but one that is batched has its reloaded services checked too.
    const restarted: Change[] = run.plan.changes.filter(
      (c) => targetLabel(c.target) === node && (c.disruptive || c.action === 'reload') && (which === 'planned' || run.results.get(c.id)?.outcome === 'applied'),
    );
    if (!ctx || restarted.length === 0) return { healthy: true, output: '' };
    try {
      const health = await healthCheck.check(ctx, restarted);
      return health.healthy ? { healthy: true, output: '' } : { healthy: false, output: health.message };
    } catch (e) {
      return { healthy: false, output: `health check failed: ${describeError(e)}` };
    }
  };
}

interface NodeAt {
  node: string;
  batch: number;
  item: GateItem;
  /** The batch's nodes that passed so far: a cluster gate may run on them after the members outside the batch. */
  passed: string[];
  deps: RolloutGateDeps;
}

/** The node's gates; an unhealthy node fails, and the gate says why. A node that passed is undrained. */
async function checkHealth(run: ApplyRun, at: NodeAt, unhealthy: Record<string, string>): Promise<void> {
  const { node, batch, deps } = at;
  const { rollout } = at.item.gate;
  if (!run.context(node)) return;
  const batchNodes = rollout.batches[batch] ?? [];
  const members = [...rolloutMembers(rollout).filter((m) => !batchNodes.includes(m) && !run.failedNodes.has(m)), ...at.passed];
  const verdict = await runNodeGates(deps.health, { rollout, node, members, serviceUp: serviceUpOf(run, node, deps.healthCheck, 'applied'), once: false });
  if (!verdict.healthy) {
    // A plan without declared gates says what it always said: the service's own message.
    const why = rollout.health ? describeVerdict(verdict) : verdict.output;
    unhealthy[node] = why;
    run.failedNodes.set(node, { code: 'Unhealthy', message: `unhealthy after rollout batch ${batch + 1}: ${why}` });
    return;
  }
  at.passed.push(node);
  const undrain = rollout.health?.members[node]?.undrain ?? [];
  if (undrain.length === 0) return;
  const failed = await runDrainSteps(deps.health, undrain);
  run.options.onEvent?.({ type: 'undrain', cluster: rollout.cluster, batch: batch + 1, node, ...(failed ? { failed } : {}) });
  if (!failed) return;
  unhealthy[node] = `undrain step ${failed.step} on ${failed.on} failed: ${failed.output}`;
  run.failedNodes.set(node, { code: 'UndrainFailed', message: `undrain step ${failed.step} on ${failed.on} failed after rollout batch ${batch + 1}: ${failed.output}` });
}
