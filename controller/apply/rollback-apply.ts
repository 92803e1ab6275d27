/**
 * Automatic rollback carried out (ADR 0026): under `rollback: failed-nodes`, each node that failed its batch
 * goes back to the cluster's last good revision, alone. The guarded commands that ran on it in the failed
 * revision run their rollback argv (those without one are skipped and said so); then the desired state of
 * the last good revision, planned for that node against its fresh observation (RollbackSource), is applied
 * as any change is (journalled, the managed record kept), and the node is gated again by the batch's gates.
 * The node still counts as failed against the budget; the rollout state says where it ended. What to roll
 * back and to which revision is pure (controller/rollout/rollback-plan.ts); this is the I/O.
 *
 * Crash safety is level-based like the rest of apply: a process killed during a rollback leaves the batch
 * in flight, so the next process gates the node again, finds it failing (or healthy) and rolls it back
 * again against what it observes then, which re-applies only what is still different.
 */
import type { Change } from '../model/change.js';
import type { Plan } from '../model/plan.js';
import type { RolloutIntents } from '../model/rollout.js';
import { toErrorRecord, UnderlayError, type ErrorRecord } from '../model/errors.js';
import { commandRollbacks, rollbackChanges, rollbackDecision, rollbackFailedLine, rollbackOutcome, rolledBackLine } from '../rollout/rollback-plan.js';
import type { FailedNode, GateFailure, NodeRollback } from '../rollout/rollout-state.js';
import type { KindEffects, NodeApplyContext } from '../../reconcilers/kind-effects.js';
import { applyOnNode, ownershipUpdates, type ApplyRun, type RecordUpdates } from './apply-run.js';
import { walkGraph, type WalkOutcome } from './graph-walk.js';
import { owesRestart, restartPendingMark } from './managed-record-keeper.js';

/** Where the last good revision's desired state for one node comes from: load, resolve, a fresh observation of the node, plan. */
export interface RollbackSource {
  planNode(at: { revision: string; cluster: string; node: string }): Promise<Plan>;
}

export interface RollbackAt {
  rollout: RolloutIntents;
  cluster: string;
  batch: number;
  /** The batch's failed nodes: each gets its `rollback` set. */
  failed: FailedNode[];
  /** The batch's gates on one node, with what the rollback changed there to check besides. */
  gate(node: string, checks: readonly Change[]): Promise<GateFailure | undefined>;
}

/**
 * A rollback argv is no desired resource: nothing is recorded before it; after it, its run's marker is retired
 * and the recorded hash stays, pending: the node no longer holds what it stands for, so the next plan's run of
 * the command is unfinished work, not drift (ADR 0028).
 */
const undoUpdates: RecordUpdates = { before: () => null, after: (c) => ({ key: c.key, hash: undefined, retireRun: true, applyPending: true }) };

const describeGate = (g: GateFailure): string => `${g.gate} ${g.result === 'timeout' ? 'timed out' : 'failed'}${g.output === '' ? '' : ` ${JSON.stringify(g.output)}`}`;

/** Rolls back each failed node of the batch under the rollout's policy; a first rollout (no last good revision) says so instead. */
export async function rollBackFailed(run: ApplyRun, at: RollbackAt): Promise<void> {
  if (at.rollout.rollback !== 'failed-nodes' || at.failed.length === 0) return;
  const stored = await run.options.store.rolloutState(at.cluster);
  const decision = rollbackDecision({ intents: at.rollout, failed: at.failed.map((f) => f.node), lastGoodRevision: stored?.lastGoodRevision, revision: run.plan.revision.commit });
  if (decision.action === 'none') return;
  for (const f of at.failed) {
    if (decision.action === 'no-last-good') {
      f.rollback = rollbackOutcome.notRolledBack(decision.message);
      emit(run, at, f.node, `${f.node} ${decision.message}`);
      continue;
    }
    f.rollback = await rollBackNode(run, at, f.node, decision.revision);
  }
}

function emit(run: ApplyRun, at: RollbackAt, node: string, message: string): void {
  run.options.onEvent?.({ type: 'rollback', cluster: at.cluster, batch: at.batch, node, message });
}

async function rollBackNode(run: ApplyRun, at: RollbackAt, node: string, revision: string): Promise<NodeRollback> {
  const source = run.options.rollback;
  if (!source) {
    const message = `not rolled back (this apply cannot read revision ${revision}: no rollback source)`;
    emit(run, at, node, `${node} ${message}`);
    return rollbackOutcome.notRolledBack(message);
  }
  emit(run, at, node, `rolling back ${node} to ${revision}`);
  const failed = async (why: string): Promise<NodeRollback> => {
    emit(run, at, node, `${rollbackFailedLine(node)} (${why})`);
    return rollbackOutcome.failed(revision, why);
  };
  const undone = await undoCommands(run, at, { node, revision });
  if (undone) return failed(undone);
  let plan: Plan;
  try {
    plan = await source.planNode({ revision, cluster: at.cluster, node });
  } catch (e) {
    return failed(`revision ${revision} could not be planned for ${node}: ${toErrorRecord(e).message}`);
  }
  const changes = rollbackChanges(plan, { cluster: at.cluster, node });
  const applied = await applyChanges(run, at, { node, revision, changes });
  if (typeof applied === 'string') return failed(applied);
  emit(run, at, node, rolledBackLine(node, revision));
  // What the gates look at, as after a batch: what was restarted or reloaded, and what is disruptive.
  const gate = await at.gate(node, applied.filter((c) => c.disruptive || c.action === 'restart' || c.action === 'reload'));
  if (gate) return failed(`its gates after the rollback: ${describeGate(gate)}`);
  emit(run, at, node, `${node} healthy on ${revision} after the rollback`);
  return rollbackOutcome.rolledBack(revision);
}

/** The rollback argv of each guarded command that ran on the node in this run, last first; why it failed, if one did. */
async function undoCommands(run: ApplyRun, at: RollbackAt, to: { node: string; revision: string }): Promise<string | undefined> {
  const ran = run.plan.changes.filter((c) => c.target.type === 'node' && c.target.name === to.node && run.results.get(c.id)?.outcome === 'applied');
  for (const undo of commandRollbacks(ran, to.revision)) {
    if ('skipped' in undo) {
      await run.options.store.journal({ runId: run.runId, changeId: `${undo.change.id}#undo`, node: to.node, key: undo.change.key, action: 'run', phase: 'skipped', detail: `rollback to ${to.revision}: ${undo.skipped}`, code: 'NoRollbackArgv' });
      emit(run, at, to.node, `${undo.change.key} on ${to.node} ${undo.skipped}`);
      continue;
    }
    const outcome = await carryOut(run, at, { node: to.node, revision: to.revision, change: undo.rollback, undo: true });
    if (outcome.status === 'failed') return `the rollback argv of ${undo.change.key} failed: ${outcome.error}`;
  }
  return undefined;
}

/** The last good revision's changes for the node, in their dependency order, one at a time; the applied ones, or why one failed. */
async function applyChanges(run: ApplyRun, at: RollbackAt, to: { node: string; revision: string; changes: Change[] }): Promise<Change[] | string> {
  if (to.changes.length === 0) return [];
  const ctx = run.context(to.node);
  if (!ctx) return `no node named ${to.node} that apply can reach`;
  const { registry, managedRecord } = run.options;
  // Owed restarts flagged before anything is touched, as apply does (managed-record-keeper.ts): a crash mid-rollback still restarts.
  const owed = to.changes.filter((c) => owesRestart(registry, c)).map((c) => restartPendingMark(registry, c));
  if (owed.length > 0) await managedRecord.update(ctx, owed);
  const applied: Change[] = [];
  let failure: string | undefined;
  await walkGraph({
    items: to.changes.map((change) => ({ id: change.id, dependsOn: change.dependsOn, lane: to.node, change })),
    concurrency: 1,
    visit: async ({ change }, blockedBy) => {
      if (blockedBy !== null || failure !== undefined) return { status: 'skipped', reason: blockedBy ?? 'an earlier change of the rollback failed' };
      const outcome = await carryOut(run, at, { node: to.node, revision: to.revision, change, undo: false });
      if (outcome.status === 'failed') failure ??= `${change.id}: ${outcome.error}`;
      else applied.push(change);
      return outcome;
    },
  });
  return failure ?? applied;
}

/** One change of the rollback, journalled before and after, with the node's managed record kept around it. */
async function carryOut(run: ApplyRun, at: RollbackAt, to: { node: string; revision: string; change: Change; undo: boolean }): Promise<WalkOutcome> {
  const { change, node, revision } = to;
  const changeId = to.undo ? change.id : `${change.id}#rollback`;
  const entry = { runId: run.runId, changeId, node, key: change.key, action: change.action };
  const tag = `rollback to ${revision}`;
  const failedWith = async (error: ErrorRecord): Promise<WalkOutcome> => {
    await run.options.store.journal({ ...entry, phase: 'failed', detail: `${tag}: ${error.message}`, code: error.code });
    emit(run, at, node, `${tag}: ${change.id} failed: ${error.message}`);
    return { status: 'failed', error: error.message };
  };
  await run.options.store.journal({ ...entry, phase: 'started', detail: tag });
  emit(run, at, node, `${tag}: ${change.action} ${change.key} on ${node}${to.undo ? ' (its rollback argv)' : ''}`);
  try {
    const ctx = run.context(node);
    const effects = run.options.effects(change.kind) as KindEffects<NodeApplyContext> | undefined;
    if (!ctx || !effects) throw new UnderlayError({ code: 'NoReconciler', message: `cannot carry out ${change.kind} on ${node}`, data: { kind: change.kind } });
    const outcome = (await applyOnNode(ctx, effects, [change], { managedRecord: run.options.managedRecord, updates: to.undo ? undoUpdates : ownershipUpdates(run.options.registry) })).get(change.id)!;
    if ('error' in outcome) return await failedWith(outcome.error);
    await run.options.store.journal({ ...entry, phase: 'succeeded', detail: outcome.message !== undefined ? `${tag}: ${outcome.message}` : tag });
    return { status: 'succeeded' };
  } catch (e) {
    return failedWith(toErrorRecord(e));
  }
}
