/**
 * A rollout batch's gate: after the batch's changes settled, are its nodes healthy (retried until the
 * batch's progress deadline), does the circuit breaker over the whole rollout's failures let the next batch
 * start, and, after the batch's soak, may it start (an operator's pause or abort, maxUnavailable)? Each step
 * is persisted by ClusterRollouts (cluster-rollouts.ts); a stop skips the cluster's later batches.
 * The health check is called in one place, gateNode, so the gate runner can take its place.
 */
import type { Change } from '../model/change.js';
import { describeError } from '../model/errors.js';
import { targetLabel } from '../model/target.js';
import type { RunCondition } from '../store/store.js';
import { capGateOutput } from '../rollout/gate-output.js';
import type { FailedNode, GateFailure } from '../rollout/rollout-state.js';
import type { ApplyRun } from './apply-run.js';
import type { ResumedBatch } from './cluster-rollouts.js';
import type { WalkOutcome } from './graph-walk.js';
import type { HealthCheck } from './health-check.js';
import type { GateItem } from './walk-items.js';

/** Between two tries of a gate that has not passed yet, within the batch's deadline. */
export const GATE_RETRY_MS = 1000;
const SERVICE_UP = 'service-up';

interface GateAt {
  cluster: string;
  node: string;
  batch: number;
  deadlineSeconds: number;
  healthCheck: HealthCheck;
  /** What to check beyond what this run restarted: an interrupted batch's changes, from the persisted state. */
  checks?: readonly Change[];
}

function stop(run: ApplyRun, condition: RunCondition): WalkOutcome {
  run.halted.set(condition.cluster!, condition);
  run.options.onEvent?.({ type: 'rollout-halted', condition });
  return { status: 'failed', error: condition.message };
}

export async function visitGate(run: ApplyRun, item: GateItem, healthCheck: HealthCheck): Promise<WalkOutcome> {
  const { rollout, batch: index } = item.gate;
  const { cluster } = rollout;
  if (run.halted.has(cluster)) return { status: 'skipped', reason: 'rollout halted' };
  const intent = rollout.batches[index]!;
  const batch = run.rollouts.batchNumber(cluster, index);
  const failedNow = await gateNodes(run, { cluster, batch, nodes: intent.nodes, deadlineSeconds: intent.deadlineSeconds, healthCheck });
  const last = index === rollout.batches.length - 1;
  const halt = await run.rollouts.batchGated(cluster, batch, failedNow, last);
  if (halt) return stop(run, halt);
  if (last) return { status: 'succeeded' };
  if (intent.soakSeconds > 0) await run.timers.sleep(intent.soakSeconds * 1000);
  const paused = await run.rollouts.batchStarting(cluster, index + 1);
  return paused ? stop(run, paused) : { status: 'succeeded' };
}

/** The batch a killed process left ungated: its changed nodes gated now, then closed like any batch. */
export async function gateResumed(run: ApplyRun, resumed: ResumedBatch, healthCheck: HealthCheck): Promise<void> {
  const { cluster, batch } = resumed;
  const intents = run.plan.rollout.find((r) => r.cluster === cluster)!;
  const deadlineSeconds = intents.batches[0]?.deadlineSeconds ?? 0;
  const failedNow: FailedNode[] = [];
  const unhealthy: Record<string, string> = {};
  for (const [node, checks] of Object.entries(resumed.checks)) {
    const failure = await gateNode(run, { cluster, node, batch, deadlineSeconds, healthCheck, checks });
    if (failure) {
      unhealthy[node] = failure.output;
      failedNow.push({ node, batch, gates: [failure] });
    }
  }
  run.options.onEvent?.({ type: 'batch-gate', cluster, batch, nodes: Object.keys(resumed.checks), failed: {}, unhealthy });
  const halt = await run.rollouts.batchGated(cluster, batch, failedNow, intents.batches.length === 0);
  if (halt) stop(run, halt);
}

/** Each node of the batch: failed before its gate (a change failed), or gated now. The nodes that failed. */
async function gateNodes(run: ApplyRun, at: Omit<GateAt, 'node'> & { nodes: readonly string[] }): Promise<FailedNode[]> {
  const failed: Record<string, string> = {};
  const unhealthy: Record<string, string> = {};
  const failedNow: FailedNode[] = [];
  for (const node of at.nodes) {
    const error = run.failedNodes.get(node);
    if (error !== undefined) {
      failed[node] = error.message;
      failedNow.push({ node, batch: at.batch, gates: [{ gate: 'change', result: 'fail', output: capGateOutput(error.message) }] });
      continue;
    }
    const failure = await gateNode(run, { ...at, node });
    if (failure) {
      unhealthy[node] = failure.output;
      failedNow.push({ node, batch: at.batch, gates: [failure] });
    }
  }
  run.options.onEvent?.({ type: 'batch-gate', cluster: at.cluster, batch: at.batch, nodes: [...at.nodes], failed, unhealthy });
  return failedNow;
}

/** One try of the health check; a check that throws is a failed one, with why. */
async function checkOnce(run: ApplyRun, at: GateAt, changes: readonly Change[]): Promise<{ healthy: true } | { healthy: false; message: string }> {
  const ctx = run.context(at.node);
  if (!ctx) return { healthy: true };
  try {
    return await at.healthCheck.check(ctx, changes);
  } catch (e) {
    return { healthy: false, message: `health check failed: ${describeError(e)}` };
  }
}

/**
 * Gates what the batch restarted on one node, tried again until it passes or the batch's progress
 * deadline (on the injected clock) has passed; an unhealthy node fails, and the gate says why.
 */
async function gateNode(run: ApplyRun, at: GateAt): Promise<GateFailure | undefined> {
  // A reload is no reason to batch a node, but one that is batched has its reloaded services checked too.
  const restarted: Change[] = run.plan.changes.filter((c) => targetLabel(c.target) === at.node && (c.disruptive || c.action === 'reload') && run.results.get(c.id)?.outcome === 'applied');
  const changes = [...restarted, ...(at.checks ?? []).filter((c) => !restarted.some((r) => r.id === c.id))];
  if (changes.length === 0) return undefined;
  const { clock } = run.options;
  const deadline = clock.now().getTime() + at.deadlineSeconds * 1000;
  for (let tries = 1; ; tries++) {
    const health = await checkOnce(run, at, changes);
    if (health.healthy) return undefined;
    if (clock.now().getTime() >= deadline) {
      run.failedNodes.set(at.node, { code: 'Unhealthy', message: `unhealthy after rollout batch ${at.batch}: ${health.message}` });
      const within = tries > 1 ? `not healthy within the progress deadline of ${at.deadlineSeconds}s (${tries} tries): ` : '';
      return { gate: SERVICE_UP, result: tries > 1 ? 'timeout' : 'fail', output: capGateOutput(`${within}${health.message}`) };
    }
    await run.timers.sleep(GATE_RETRY_MS);
  }
}
