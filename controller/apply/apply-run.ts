/**
 * One apply run's state and how it carries out one walk item (a change, or a level of changes handed to
 * their target at once): the checks that skip it (halted rollout, failed node, failed dependency), the
 * journal rows around it, the managed-record updates around a node kind's apply, and the routing of a
 * service target's change to its provider. applyPlan (apply-plan.ts) sequences the run; the rollout gates
 * are in rollout-gate.ts.
 */
import type { ApplyOutcome, KindEffects, NodeApplyContext, PoolApplyContext, TargetApplyContext, ZoneApplyContext } from '../../reconcilers/kind-effects.js';
import type { KindRegistry } from '../../reconcilers/registry.js';
import type { Change } from '../model/change.js';
import { toErrorRecord, UnderlayError, type ErrorRecord } from '../model/errors.js';
import type { Plan } from '../model/plan.js';
import { targetLabel, type Target } from '../model/target.js';
import type { RunCondition } from '../store/store.js';
import { NoTargetProvider, type ServiceTargetProviders } from '../targets/target-providers.js';
import type { ApplyPlanOptions } from './apply-plan.js';
import type { ChangeResult, SkipCause } from './change-set.js';
import type { WalkOutcome } from './graph-walk.js';
import { managedUpdateAfter, managedUpdateBefore, owesRestart, restartPendingMark, type ManagedRecordKeeper } from './managed-record-keeper.js';
import type { ManagedUpdate } from '../../reconcilers/managed-record-format.js';
import { heldBy, rolloutPositions, type LevelItem, type RolloutPosition } from './walk-items.js';
import { ClusterRollouts } from './cluster-rollouts.js';
import { systemTimers, type Timers } from '../clock.js';
import type { RolloutIntents } from '../model/rollout.js';

/** What one change came to in its target: the kind's outcome, or the error it failed with. */
type Carried = ApplyOutcome | { error: ErrorRecord };

/** Why apply cannot carry out a change of this kind: planned only, or no provider for its target yet. */
function noEffects(registry: KindRegistry, kind: string): UnderlayError<{ kind: string }> {
  const definition = registry.kindOf(kind);
  const why = definition?.target === 'node' && definition.planOnly ? `: ${definition.planOnly}` : '';
  return new UnderlayError({ code: 'NoReconciler', message: `no reconciler for kind ${kind}${why}`, data: { kind } });
}

/** The context of a service target's change, from its type's provider. */
function serviceContext(targets: ServiceTargetProviders, target: Target): PoolApplyContext | ZoneApplyContext {
  if (target.type === 'pool' && targets.pool) return { pool: target.name, ledger: targets.pool.ledger };
  if (target.type === 'zone' && targets.zone) return { zone: target.name, provider: targets.zone };
  throw new NoTargetProvider(target);
}

const ref = (c: Change) => ({ id: c.id, node: targetLabel(c.target), key: c.key, kind: c.kind, action: c.action });

export class ApplyRun {
  /** Why each failed node failed, with the code status takes its reason from. */
  readonly failedNodes = new Map<string, ErrorRecord>();
  readonly halted = new Map<string, RunCondition>();
  /** A change was skipped because the controller is stopping (ApplyPlanOptions.stop). */
  stopped = false;
  readonly results = new Map<string, ChangeResult>();
  readonly positionOf: (change: Change) => RolloutPosition | undefined;
  /** The cluster whose rollout holds a change back: maxUnavailable is used up by members already down. */
  readonly heldOf: (change: Change) => RolloutIntents | undefined;
  /** Each cluster's rollout, persisted as it goes. */
  readonly rollouts: ClusterRollouts;
  readonly timers: Timers;
  /** Owed restarts and re-runs, by the id of each change that must not touch the node before they are flagged. */
  private readonly owedBy = new Map<string, Change[]>();
  private readonly flagged = new Set<string>();

  constructor(
    readonly options: ApplyPlanOptions,
    readonly runId: number,
  ) {
    const { plan, nodes, registry } = options;
    for (const [n, e] of Object.entries(options.unreachable ?? {})) this.failedNodes.set(n, { code: e.code, message: `unreachable: ${e.message}` });
    for (const [name, node] of Object.entries(nodes)) if (node.refused !== undefined) this.failedNodes.set(name, node.refused);
    this.positionOf = rolloutPositions(plan);
    this.heldOf = heldBy(plan);
    this.rollouts = new ClusterRollouts(options.store, plan);
    this.timers = options.timers ?? systemTimers;
    const nodeOf = new Map(plan.changes.map((c) => [c.id, targetLabel(c.target)]));
    for (const owed of plan.changes.filter((c) => owesRestart(registry, c))) {
      for (const id of [owed.id, ...owed.dependsOn.filter((d) => nodeOf.get(d) === targetLabel(owed.target))]) this.owedBy.set(id, [...(this.owedBy.get(id) ?? []), owed]);
    }
  }

  get plan(): Plan {
    return this.options.plan;
  }

  private emit: NonNullable<ApplyPlanOptions['onEvent']> = (event) => this.options.onEvent?.(event);

  /** A node's apply context; `changeId` arms the crash tests' fault points set for that change. */
  context(node: string, changeId?: string): NodeApplyContext | undefined {
    const target = this.options.nodes[node];
    if (!target) return undefined;
    const ctx: NodeApplyContext = {
      transport: this.options.transport,
      node: target.endpoint,
      serviceManager: target.serviceManager,
      run: { id: this.runId, planHash: this.plan.hash },
      ...(this.options.issuer ? { issuer: this.options.issuer } : {}),
      ...(this.options.secrets ? { secrets: this.options.secrets } : {}),
    };
    const fault = this.options.fault;
    if (changeId === undefined || !fault) return ctx;
    if (fault.armed('during', changeId)) ctx.duringFault = () => fault.reach('during', changeId);
    for (const point of ['record-staged', 'record-truncated'] as const) {
      if (fault.armed(point, changeId)) ctx.recordFault = { point, reach: () => fault.reach(point, changeId) };
    }
    return ctx;
  }

  /** Visits one walk item: every change of it is skipped, or handed to its target together. */
  async visit(item: LevelItem, blockedBy: string | null): Promise<WalkOutcome> {
    const lane = item.lane as string;
    const first = item.changes[0] as Change;
    const blocked = this.skipCause(first, lane, blockedBy);
    if (blocked) return this.settleAll(item.changes, (c) => this.skip(c, blocked.cause, blocked.why));
    for (const change of item.changes) {
      const position = this.positionOf(change);
      // On record in the rollout before the node is touched: a resume gates what this batch changed.
      if (position) await this.rollouts.touching(position.rollout.cluster, position.batch, lane);
      await this.options.store.journal({ runId: this.runId, changeId: change.id, node: lane, key: change.key, action: change.action, phase: 'started', detail: null });
      this.emit({ type: 'change-started', change });
      await this.options.fault?.reach('before', change.id);
    }
    const carried = await this.carryOut(item.changes);
    return this.settleAll(item.changes, (change) => this.record(change, lane, carried.get(change.id) as Carried));
  }

  /** The walk sees a level as one item: it failed when one of its changes did. */
  private async settleAll(changes: readonly Change[], settle: (change: Change) => Promise<WalkOutcome>): Promise<WalkOutcome> {
    const settled: WalkOutcome[] = [];
    // One after the other: the journal and the events keep the plan's order within a level.
    for (const c of changes) settled.push(await settle(c));
    return settled.find((o) => o.status === 'failed') ?? settled.find((o) => o.status === 'skipped') ?? { status: 'succeeded' };
  }

  /** Why a change must not run: its rollout halted, its node failed (or lost its lease), or a dependency did not succeed. */
  private skipCause(change: Change, lane: string, blockedBy: string | null): { cause: SkipCause; why: ErrorRecord } | undefined {
    const stop = this.options.stop?.requested();
    if (stop) {
      this.stopped = true;
      return { cause: 'stopping', why: stop };
    }
    const position = this.positionOf(change);
    const halt = position ? this.halted.get(position.rollout.cluster) : undefined;
    if (halt) return { cause: 'rollout-halted', why: { code: halt.reason, message: `rollout halted: ${halt.message}` } };
    const held = this.heldOf(change);
    if (held) return { cause: 'rollout-held', why: { code: 'MaxUnavailableReached', message: `held: members already down (${held.unavailable.join(', ')}) use up maxUnavailable ${held.maxUnavailable} of cluster ${held.cluster}` } };
    const leaseLost = this.options.leases?.lost(lane);
    if (leaseLost !== undefined && !this.failedNodes.has(lane)) this.failedNodes.set(lane, leaseLost);
    const nodeError = this.failedNodes.get(lane);
    if (nodeError !== undefined) return { cause: 'node-failed', why: { code: nodeError.code, message: `node ${lane} failed: ${nodeError.message}` } };
    if (blockedBy !== null) return { cause: 'dependency-failed', why: { code: 'DependencyFailed', message: blockedBy } };
    return undefined;
  }

  /** Journals and records one change's result; the walk's outcome of it. */
  async finish(change: Change, result: ChangeResult): Promise<WalkOutcome> {
    await this.options.store.journal({ runId: this.runId, changeId: change.id, node: targetLabel(change.target), key: change.key, action: change.action, ...journalled(result) });
    this.results.set(change.id, result);
    this.emit({ type: 'change-finished', result });
    if (result.outcome === 'failed') return { status: 'failed', error: result.error };
    // A change its kind skipped has settled as intended (a directory left in place is no longer managed).
    if (result.outcome === 'applied' || result.cause === 'kind') return { status: 'succeeded' };
    return { status: 'skipped', reason: result.reason };
  }

  private skip(change: Change, cause: SkipCause, why: ErrorRecord): Promise<WalkOutcome> {
    return this.finish(change, { ...ref(change), outcome: 'skipped', cause, reason: why.message, code: why.code });
  }

  private async record(change: Change, lane: string, carried: Carried): Promise<WalkOutcome> {
    if ('error' in carried) {
      const { error } = carried;
      if (!this.failedNodes.has(lane)) this.failedNodes.set(lane, { code: error.code, message: `${change.id}: ${error.message}` });
      return this.finish(change, { ...ref(change), outcome: 'failed', error: error.message, code: error.code });
    }
    await this.options.fault?.reach('after', change.id);
    if (carried.result === 'skipped') {
      return this.finish(change, { ...ref(change), outcome: 'skipped', cause: 'kind', reason: carried.message ?? 'skipped by its kind', code: 'SkippedByKind' });
    }
    return this.finish(change, { ...ref(change), outcome: 'applied', ...(carried.message !== undefined ? { message: carried.message } : {}) });
  }

  /** Hands the changes (one, or a level of one kind) to their target; every change gets its outcome or error. */
  private async carryOut(changes: readonly Change[]): Promise<Map<string, Carried>> {
    const first = changes[0] as Change;
    try {
      const kindEffects = this.options.effects(first.kind);
      if (!kindEffects) throw noEffects(this.options.registry, first.kind);
      if (first.target.type !== 'node') return await handTo(kindEffects, serviceContext(this.options.targets ?? {}, first.target), changes);
      const ctx = this.context(first.target.name, changes.length === 1 ? first.id : undefined);
      if (!ctx) throw new UnderlayError({ code: 'NoApplyTarget', message: `no node named ${first.target.name} that apply can reach`, data: { target: first.target.name } });
      const owed = [...new Set(changes.flatMap((c) => this.owedBy.get(c.id) ?? []))].filter((o) => !this.flagged.has(o.id));
      // Marked before the write: were it to fail, the node fails and nothing later on it runs to need the flag.
      for (const o of owed) this.flagged.add(o.id);
      const { registry, managedRecord } = this.options;
      const flags = owed.map((o) => restartPendingMark(registry, o));
      return await applyOnNode(ctx, kindEffects as KindEffects<NodeApplyContext>, changes, { managedRecord, updates: ownershipUpdates(registry), flags });
    } catch (e) {
      const error = toErrorRecord(e);
      return new Map(changes.map((c) => [c.id, { error }]));
    }
  }
}

/**
 * One change to the kind's apply, or a level (walk-items.ts groups only kinds that take levels) to its
 * applyLevel; what either throws fails every change handed over.
 */
export async function handTo<C extends TargetApplyContext>(kindEffects: KindEffects<C>, ctx: C, changes: readonly Change[]): Promise<Map<string, Carried>> {
  const first = changes[0] as Change;
  if (changes.length === 1) return new Map([[first.id, await kindEffects.apply(ctx, first)]]);
  if (!kindEffects.applyLevel) throw new Error(`${first.kind} takes no levels, yet ${changes.length} of its changes were handed over at once`);
  const outcomes = await kindEffects.applyLevel(ctx, changes);
  return new Map(changes.map((c) => [c.id, levelOutcome(outcomes.get(c.id), c)]));
}

/** How a node change's managed record is kept: before it runs, and after it succeeded. */
export interface RecordUpdates {
  before(change: Change): ManagedUpdate | null;
  after(change: Change): ManagedUpdate | null;
}

/** The updates the change's kind says are due (its ownership facet): what every desired change gets. */
export const ownershipUpdates = (registry: KindRegistry): RecordUpdates => ({
  before: (c) => managedUpdateBefore(registry, c),
  after: (c) => managedUpdateAfter(registry, c),
});

/**
 * Node changes handed to their kind with the node's managed record kept around them: `flags` (owed
 * restarts, managed-record-keeper.ts) and each change's before-update written first, in one update; the
 * after-updates of the changes that succeeded written last.
 */
export async function applyOnNode(
  ctx: NodeApplyContext,
  kindEffects: KindEffects<NodeApplyContext>,
  changes: readonly Change[],
  keep: { managedRecord: ManagedRecordKeeper; updates: RecordUpdates; flags?: readonly ManagedUpdate[] },
): Promise<Map<string, Carried>> {
  const before = [...(keep.flags ?? []), ...changes.flatMap((c) => keep.updates.before(c) ?? [])];
  if (before.length > 0) await keep.managedRecord.update(ctx, before);
  const carried = await handTo(kindEffects, ctx, changes);
  const after = changes.filter((c) => !('error' in (carried.get(c.id) as Carried))).flatMap((c) => keep.updates.after(c) ?? []);
  if (after.length > 0) await keep.managedRecord.update(ctx, after);
  return carried;
}

function levelOutcome(outcome: ApplyOutcome | { error: unknown } | undefined, c: Change): Carried {
  if (outcome === undefined) return { error: { code: 'InternalError', message: `${c.id}: its level was applied without an outcome for it` } };
  return 'error' in outcome ? { error: toErrorRecord(outcome.error) } : outcome;
}

/** What the journal keeps of a result: its phase, and why (a failure's error, a skip's reason, an apply's note) with its code. */
function journalled(result: ChangeResult): { phase: 'succeeded' | 'failed' | 'skipped'; detail: string | null; code?: string } {
  if (result.outcome === 'failed') return { phase: 'failed', detail: result.error, code: result.code };
  if (result.outcome === 'skipped') return { phase: 'skipped', detail: result.reason, code: result.code };
  return { phase: 'succeeded', detail: result.message ?? null };
}
