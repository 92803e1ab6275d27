/**
 * A rollout batch's gate: after the batch's changes settled, are its nodes healthy (service-up, then the
 * gates their modules, the Site and the Cluster declare, each retried until the batch's progress deadline by
 * the gate runner, ADR 0020), does the circuit breaker over the whole rollout's failures let the next batch
 * start, and, after the batch's soak, may it start (an operator's pause or abort, maxUnavailable)? Each step
 * is persisted by ClusterRollouts (cluster-rollouts.ts); a stop skips the cluster's later batches. A node
 * that passed its gates is undrained; one that did not stays drained.
 */
import type { Change } from '../model/change.js';
import type { RolloutIntents } from '../model/rollout.js';
import { targetLabel } from '../model/target.js';
import type { RunCondition } from '../store/store.js';
import { capGateOutput } from '../rollout/gate-output.js';
import type { FailedNode, GateFailure } from '../rollout/rollout-state.js';
import type { ApplyRun } from './apply-run.js';
import { describeVerdict, rolloutMembers, runDrainSteps, runNodeGates, serviceUpOf, type BatchHealthDeps } from './batch-health.js';
import type { ResumedBatch } from './cluster-rollouts.js';
import type { WalkOutcome } from './graph-walk.js';
import type { HealthCheck } from './health-check.js';
import type { GateItem } from './walk-items.js';
import { rollBackFailed } from './rollback-apply.js';

export interface RolloutGateDeps {
  healthCheck: HealthCheck;
  health: BatchHealthDeps;
}

/** Between two tries of a gate that has not passed yet, within the batch's deadline. */
export const GATE_RETRY_MS = 1000;
interface GateAt {
  rollout: RolloutIntents;
  cluster: string;
  node: string;
  batch: number;
  deadlineSeconds: number;
  deps: RolloutGateDeps;
  /** The batch's nodes (their index in the plan's batches): a cluster gate runs on members outside it first. */
  batchNodes: readonly string[];
  /** The batch's nodes that passed so far: a cluster gate may run on them after the members outside the batch. */
  passed: string[];
  /** Filled in as nodes pass: the gates each passed, for the batch's line in apply's output. */
  gatesPassed?: Record<string, string[]>;
  /** What to check beyond what this run restarted: an interrupted batch's changes, from the persisted state. */
  checks?: readonly Change[];
}

function stop(run: ApplyRun, condition: RunCondition): WalkOutcome {
  run.halted.set(condition.cluster!, condition);
  run.options.onEvent?.({ type: 'rollout-halted', condition });
  return { status: 'failed', error: condition.message };
}

export async function visitGate(run: ApplyRun, item: GateItem, deps: RolloutGateDeps): Promise<WalkOutcome> {
  const { rollout, batch: index } = item.gate;
  const { cluster } = rollout;
  if (run.halted.has(cluster)) return { status: 'skipped', reason: 'rollout halted' };
  const intent = rollout.batches[index]!;
  const batch = run.rollouts.batchNumber(cluster, index);
  const at = { rollout, cluster, batch, batchNodes: intent.nodes, passed: [], deadlineSeconds: intent.deadlineSeconds, deps };
  const failedNow = await gateNodes(run, at);
  await rollBackFailed(run, { rollout, cluster, batch, failed: failedNow, gate: (node, checks) => gateNode(run, { ...at, node, checks }) });
  const last = index === rollout.batches.length - 1;
  const halt = await run.rollouts.batchGated(cluster, batch, failedNow, last);
  if (halt) return stop(run, halt);
  if (last) return { status: 'succeeded' };
  if (intent.soakSeconds > 0) await run.timers.sleep(intent.soakSeconds * 1000);
  const paused = await run.rollouts.batchStarting(cluster, index + 1);
  return paused ? stop(run, paused) : { status: 'succeeded' };
}

/** The batch a killed process left ungated: its changed nodes gated now, then closed like any batch. */
export async function gateResumed(run: ApplyRun, resumed: ResumedBatch, deps: RolloutGateDeps): Promise<void> {
  const { cluster, batch } = resumed;
  const intents = run.plan.rollout.find((r) => r.cluster === cluster)!;
  const deadlineSeconds = intents.batches[0]?.deadlineSeconds ?? 0;
  const failedNow: FailedNode[] = [];
  const unhealthy: Record<string, string> = {};
  const gatesPassed: Record<string, string[]> = {};
  const at = { rollout: intents, cluster, batch, batchNodes: Object.keys(resumed.checks), passed: [], gatesPassed, deadlineSeconds, deps };
  for (const [node, checks] of Object.entries(resumed.checks)) {
    const failure = await gateNode(run, { ...at, node, checks });
    if (failure) {
      unhealthy[node] = failure.output;
      failedNow.push({ node, batch, gates: [failure] });
    }
  }
  run.options.onEvent?.({ type: 'batch-gate', cluster, batch, nodes: Object.keys(resumed.checks), failed: {}, unhealthy, passed: gatesPassed });
  await rollBackFailed(run, { rollout: intents, cluster, batch, failed: failedNow, gate: (node, checks) => gateNode(run, { ...at, node, checks: [...(resumed.checks[node] ?? []), ...checks] }) });
  const halt = await run.rollouts.batchGated(cluster, batch, failedNow, intents.batches.length === 0);
  if (halt) stop(run, halt);
}

/** Each node of the batch: failed before its gate (a change failed), or gated now. The nodes that failed. */
async function gateNodes(run: ApplyRun, at: Omit<GateAt, 'node'>): Promise<FailedNode[]> {
  const gatesPassed: Record<string, string[]> = {};
  const failed: Record<string, string> = {};
  const unhealthy: Record<string, string> = {};
  const failedNow: FailedNode[] = [];
  for (const node of at.batchNodes) {
    const error = run.failedNodes.get(node);
    if (error !== undefined) {
      failed[node] = error.message;
      failedNow.push({ node, batch: at.batch, gates: [{ gate: 'change', result: 'fail', output: capGateOutput(error.message) }] });
      continue;
    }
    const failure = await gateNode(run, { ...at, node, gatesPassed });
    if (failure) {
      unhealthy[node] = failure.output;
      failedNow.push({ node, batch: at.batch, gates: [failure] });
    }
  }
  run.options.onEvent?.({ type: 'batch-gate', cluster: at.cluster, batch: at.batch, nodes: [...at.batchNodes], failed, unhealthy, passed: gatesPassed });
  return failedNow;
}

/**
 * Gates one node: service-up for what the batch restarted, then its declared gates, each tried again until
 * it passes or the batch's progress deadline (on the injected clock) has passed. An unhealthy node fails,
 * and the gate says why; a healthy one is undrained.
 */
async function gateNode(run: ApplyRun, at: GateAt): Promise<GateFailure | undefined> {
  // A reload is no reason to batch a node, but one that is batched has its reloaded services checked too.
  const restarted: Change[] = run.plan.changes.filter((c) => targetLabel(c.target) === at.node && (c.disruptive || c.action === 'reload') && run.results.get(c.id)?.outcome === 'applied');
  const changes = [...restarted, ...(at.checks ?? []).filter((c) => !restarted.some((r) => r.id === c.id))];
  const declared = at.rollout.gates?.[at.node];
  if (changes.length === 0 && !declared) return undefined;
  const members = [...rolloutMembers(at.rollout).filter((m) => !at.batchNodes.includes(m) && !run.failedNodes.has(m)), ...at.passed];
  const verdict = await runNodeGates(at.deps.health, { rollout: at.rollout, node: at.node, members, serviceUp: serviceUpOf(run, at.node, at.deps.healthCheck, changes), once: false, deadlineSeconds: at.deadlineSeconds });
  if (!verdict.healthy) {
    // Without declared gates the message is what it always was: the service's own, and how long it was tried.
    const within = verdict.attempts > 1 ? `not healthy within the progress deadline of ${at.deadlineSeconds}s (${verdict.attempts} tries): ` : '';
    const why = declared ? describeVerdict(verdict) : `${within}${verdict.output}`;
    run.failedNodes.set(at.node, { code: 'Unhealthy', message: `unhealthy after rollout batch ${at.batch}: ${declared ? why : verdict.output}` });
    return { gate: verdict.gate, result: verdict.attempts > 1 ? 'timeout' : 'fail', output: capGateOutput(why) };
  }
  at.passed.push(at.node);
  if (at.gatesPassed) at.gatesPassed[at.node] = verdict.passed;
  return undrain(run, at);
}

/** The node's undrain steps once its gates passed; a step that fails fails the node (it may still be out of its load balancer). */
async function undrain(run: ApplyRun, at: GateAt): Promise<GateFailure | undefined> {
  const steps = at.rollout.gates?.[at.node]?.undrain ?? [];
  if (steps.length === 0) return undefined;
  const failed = await runDrainSteps(at.deps.health, steps);
  run.options.onEvent?.({ type: 'undrain', cluster: at.cluster, batch: at.batch, node: at.node, ...(failed ? { failed } : {}) });
  if (!failed) return undefined;
  const message = `undrain step ${failed.step} on ${failed.on} failed: ${failed.output}`;
  run.failedNodes.set(at.node, { code: 'UndrainFailed', message: `${message} (after rollout batch ${at.batch})` });
  return { gate: 'undrain', result: 'fail', output: message };
}
