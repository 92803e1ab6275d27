/**
 * The start of a rollout batch whose cluster declares gates (ADR 0020): first the check before the batch,
 * each member's gates once, so that members already down count against maxUnavailable (a cluster with one
 * etcd member down never loses a second); then each node's drain steps, before any change of its batch.
 * A batch that would take more members down than maxUnavailable allows is held: the rollout halts.
 */
import type { DesiredGate } from '../model/health-gate.js';
import type { RunCondition } from '../store/store.js';
import type { ApplyRun } from './apply-run.js';
import { describeVerdict, rolloutMembers, runDrainSteps, runNodeGates, type BatchHealthDeps } from './batch-health.js';
import type { WalkOutcome } from './graph-walk.js';
import type { HealthCheck } from './health-check.js';
import { serviceUpOf } from './rollout-gate.js';
import type { BatchStartItem } from './walk-items.js';

export interface BatchStartDeps {
  healthCheck: HealthCheck;
  health: BatchHealthDeps;
}

/** Members down before the batch, with why: failed already in this run, or failing their gates now. */
async function membersDown(run: ApplyRun, item: BatchStartItem, deps: BatchStartDeps): Promise<Map<string, string>> {
  const { rollout } = item.start;
  const down = new Map<string, string>();
  const members = rolloutMembers(rollout);
  for (const member of members) {
    const failed = run.failedNodes.get(member);
    if (failed !== undefined) {
      down.set(member, failed.message);
      continue;
    }
    // The cluster gates ask about the cluster, not the member: they run after the batch, not here.
    const only = (g: DesiredGate): boolean => g.type !== 'cluster';
    const verdict = await runNodeGates(deps.health, { rollout, node: member, members: [], serviceUp: serviceUpOf(run, member, deps.healthCheck, 'planned'), once: true, only });
    if (!verdict.healthy) down.set(member, describeVerdict(verdict));
  }
  return down;
}

export async function visitBatchStart(run: ApplyRun, item: BatchStartItem, deps: BatchStartDeps): Promise<WalkOutcome> {
  const { rollout, batch } = item.start;
  if (run.halted.has(rollout.cluster)) return { status: 'skipped', reason: 'rollout halted' };
  const nodes = rollout.batches[batch] ?? [];
  const down = await membersDown(run, item, deps);
  const otherDown = [...down.keys()].filter((n) => !nodes.includes(n));
  const goingDown = nodes.filter((n) => !down.has(n));
  const maxUnavailable = rollout.health?.maxUnavailable ?? 1;
  const held = otherDown.length + goingDown.length > maxUnavailable;
  run.options.onEvent?.({ type: 'batch-check', cluster: rollout.cluster, batch: batch + 1, down: Object.fromEntries(down), held });
  if (held) {
    const why = otherDown.map((n) => `${n} (${down.get(n)})`).join('; ');
    const message = `rollout of cluster ${rollout.cluster} halted before batch ${batch + 1}: ${otherDown.length} member(s) down already [${why}], and taking ${goingDown.join(', ')} down too would leave more than maxUnavailable ${maxUnavailable} down`;
    const condition: RunCondition = { type: 'RolloutHalted', reason: 'MaxUnavailableReached', message, cluster: rollout.cluster };
    run.halted.set(rollout.cluster, condition);
    run.options.onEvent?.({ type: 'rollout-halted', condition });
    return { status: 'failed', error: message };
  }
  for (const node of nodes) await drain(run, { item, node }, deps.health);
  return { status: 'succeeded' };
}

/** The node's drain steps; one that fails fails the node (its changes are not made), and its undrain steps put back what the others did. */
async function drain(run: ApplyRun, at: { item: BatchStartItem; node: string }, deps: BatchHealthDeps): Promise<void> {
  const { rollout, batch } = at.item.start;
  const declared = rollout.health?.members[at.node];
  if (!declared || declared.drain.length === 0 || run.failedNodes.has(at.node)) return;
  const failed = await runDrainSteps(deps, declared.drain);
  run.options.onEvent?.({ type: 'drain', cluster: rollout.cluster, batch: batch + 1, node: at.node, ...(failed ? { failed } : {}) });
  if (!failed) return;
  run.failedNodes.set(at.node, { code: 'DrainFailed', message: `drain step ${failed.step} on ${failed.on} failed before rollout batch ${batch + 1}: ${failed.output}` });
  const undone = await runDrainSteps(deps, declared.undrain);
  run.options.onEvent?.({ type: 'undrain', cluster: rollout.cluster, batch: batch + 1, node: at.node, ...(undone ? { failed: undone } : {}) });
}
