/**
 * The start of a rollout batch whose cluster declares gates (ADR 0020): first the check before the batch,
 * each member's gates once, so that members down now count against maxUnavailable (a cluster with one etcd
 * member down never loses a second, whatever the plan saw); then each node's drain steps, before any change
 * of its batch. A batch that does not fit pauses the rollout (MaxUnavailableReached), as when the rollout's
 * own failures use maxUnavailable up (cluster-rollouts.ts).
 */
import type { Change } from '../model/change.js';
import type { DesiredGate } from '../model/health-gate.js';
import { targetLabel } from '../model/target.js';
import type { ApplyRun } from './apply-run.js';
import { describeVerdict, rolloutMembers, runDrainSteps, runNodeGates, serviceUpOf, type BatchHealthDeps } from './batch-health.js';
import type { RolloutGateDeps } from './rollout-gate.js';
import type { WalkOutcome } from './graph-walk.js';
import type { HealthCheck } from './health-check.js';
import type { BatchStartItem } from './walk-items.js';

/** What a batch's start needs: the same as its gate. */
export type BatchStartDeps = RolloutGateDeps;

/** service-up before the batch: do the services it is about to restart (or reload) run now? */
function servicesUpNow(run: ApplyRun, node: string, healthCheck: HealthCheck): ReturnType<typeof serviceUpOf> {
  const planned: Change[] = run.plan.changes.filter((c) => targetLabel(c.target) === node && (c.disruptive || c.action === 'reload') && c.action !== 'delete');
  return serviceUpOf(run, node, healthCheck, planned);
}

/** The cluster gates ask about the cluster, not the member: they run after the batch, not here. */
const nodeLevel = (g: DesiredGate): boolean => g.type !== 'cluster';

/** Members down before the batch, with why: failed already in this run, or failing their gates now. */
async function membersDown(run: ApplyRun, item: BatchStartItem, deps: BatchStartDeps): Promise<Map<string, string>> {
  const { rollout } = item.start;
  const down = new Map<string, string>();
  for (const member of rolloutMembers(rollout)) {
    const failed = run.failedNodes.get(member);
    if (failed !== undefined) {
      down.set(member, failed.message);
      continue;
    }
    const at = { rollout, node: member, members: [], serviceUp: servicesUpNow(run, member, deps.healthCheck), once: true, only: nodeLevel, deadlineSeconds: 0 };
    const verdict = await runNodeGates(deps.health, at);
    if (!verdict.healthy) down.set(member, describeVerdict(verdict));
  }
  return down;
}

export async function visitBatchStart(run: ApplyRun, item: BatchStartItem, deps: BatchStartDeps): Promise<WalkOutcome> {
  const { rollout, batch } = item.start;
  if (run.halted.has(rollout.cluster)) return { status: 'skipped', reason: 'rollout halted' };
  const nodes = rollout.batches[batch]?.nodes ?? [];
  const down = await membersDown(run, item, deps);
  // A batch node already down rides along: changing it takes no member down that was up.
  const otherDown = new Map([...down].filter(([n]) => !nodes.includes(n)));
  const goingDown = nodes.filter((n) => !down.has(n));
  const held = otherDown.size + goingDown.length > rollout.maxUnavailable;
  run.options.onEvent?.({ type: 'batch-check', cluster: rollout.cluster, batch: run.rollouts.batchNumber(rollout.cluster, batch), down: Object.fromEntries(down), held });
  if (held) {
    const condition = await run.rollouts.pauseForDown(rollout.cluster, batch, { down: otherDown, goingDown });
    run.halted.set(rollout.cluster, condition);
    run.options.onEvent?.({ type: 'rollout-halted', condition });
    return { status: 'failed', error: condition.message };
  }
  for (const node of nodes) await drain(run, { item, node }, deps.health);
  return { status: 'succeeded' };
}

/** The node's drain steps; one that fails fails the node (its changes are not made), and its undrain steps put back what the others did. */
async function drain(run: ApplyRun, at: { item: BatchStartItem; node: string }, deps: BatchHealthDeps): Promise<void> {
  const { rollout, batch } = at.item.start;
  const declared = rollout.gates?.[at.node];
  if (!declared || declared.drain.length === 0 || run.failedNodes.has(at.node)) return;
  const number = run.rollouts.batchNumber(rollout.cluster, batch);
  const failed = await runDrainSteps(deps, declared.drain);
  run.options.onEvent?.({ type: 'drain', cluster: rollout.cluster, batch: number, node: at.node, ...(failed ? { failed } : {}) });
  if (!failed) return;
  run.failedNodes.set(at.node, { code: 'DrainFailed', message: `drain step ${failed.step} on ${failed.on} failed before rollout batch ${number}: ${failed.output}` });
  const undone = await runDrainSteps(deps, declared.undrain);
  run.options.onEvent?.({ type: 'undrain', cluster: rollout.cluster, batch: number, node: at.node, ...(undone ? { failed: undone } : {}) });
}
