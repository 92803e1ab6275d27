/**
 * Apply: carries out a plan and journals every step. The plan's dependency graph is walked with bounded
 * concurrency (one change at a time per node); a change that fails fails its node, whose remaining changes
 * are skipped, while other nodes go on. Nodes with disruptive changes roll out batch by batch per cluster:
 * a batch starts only after the previous one passed its health gate and the circuit breaker allowed it.
 *
 * Crash safety comes from ordering, not from replay: `started` is durable before a node is touched,
 * `succeeded` is written only after the node confirmed, and the next run re-observes and re-plans. What a
 * re-plan cannot see (a restart owed for a config file already written) is flagged on the node first
 * (managed-record-keeper.ts).
 */
import type { EffectsLookup } from '../../reconcilers/effects.js';
import type { NodeApplyContext, ApplyOutcome, PoolApplyContext, ZoneApplyContext } from '../../reconcilers/kind-effects.js';
import type { KindRegistry } from '../../reconcilers/registry.js';
import type { Plan, RolloutBatches } from '../model/plan.js';
import type { Change } from '../model/change.js';
import { circuitBreaker } from '../rollout/circuit-breaker.js';
import type { Clock } from '../clock.js';
import type { RunCondition, RunWriter } from '../store/store.js';
import type { NodeEndpoint, Transport } from '../transport/transport.js';
import type { ChangeResult, ChangeSet, NodeResult, SkipCause } from './change-set.js';
import { walkGraph, type WalkItem, type WalkOutcome } from './graph-walk.js';
import { kindHealthCheck, type HealthCheck } from './health-check.js';
import type { FaultHook } from './fault-injection.js';
import { managedUpdateAfter, managedUpdateBefore, owesRestart, restartPendingMark, type ManagedRecordKeeper } from './managed-record-keeper.js';
import { describeError, toErrorRecord, UnderlayError, type ErrorRecord } from '../model/errors.js';
import { byCodeUnit } from '../model/order.js';
import { targetLabel, type Target } from '../model/target.js';
import { NoTargetProvider, type ServiceTargetProviders } from '../targets/target-providers.js';

export interface ApplyNode {
  endpoint: NodeEndpoint;
  serviceManager: 'runit' | 'systemd';
  /** Why apply must not touch the node although it was observed (its managed record is unusable): it fails with this. */
  refused?: ErrorRecord;
  /**
   * Its managed record must be written again before anything else, also on a node with nothing else to do:
   * it was read from the previous copy (written back), or it names no owner yet (adopted, ADR 0008).
   */
  rewriteManagedRecord?: boolean;
}

export type ApplyEvent =
  | { type: 'run-started'; runId: number; changes: number }
  | { type: 'change-started'; change: Change }
  | { type: 'change-finished'; result: ChangeResult }
  /** A batch's health gate: `failed` are nodes of the batch that failed before it (not health-checked), with why. */
  | { type: 'batch-gate'; cluster: string; batch: number; nodes: string[]; failed: Record<string, string>; unhealthy: Record<string, string> }
  | { type: 'rollout-halted'; condition: RunCondition }
  | { type: 'run-finished'; changeSet: ChangeSet };

export interface ApplyPlanOptions {
  plan: Plan;
  /** Every node of the site that apply may touch, by name. */
  nodes: Record<string, ApplyNode>;
  /** Nodes that could not be observed, with why: recorded as failed, none of their changes run. */
  unreachable?: Record<string, ErrorRecord>;
  /** How nodes are reached: their changes go to the node kinds' effects with this transport. */
  transport: Transport;
  /** How the service targets are reached: a change of a target type without one fails (NoTargetProvider). */
  targets?: ServiceTargetProviders;
  /** The resource kinds (their ownership of the managed record), and what carries each kind's changes out. */
  registry: KindRegistry;
  effects: EffectsLookup;
  managedRecord: ManagedRecordKeeper;
  store: RunWriter;
  clock: Clock;
  /** Nodes being changed at once. */
  concurrency: number;
  /** Default: ask each change's kind (see health-check.ts). */
  healthCheck?: HealthCheck;
  onEvent?: (event: ApplyEvent) => void;
  /** Crash tests only (fault-injection.ts): where to stop for good. */
  fault?: FaultHook;
  /** The apply's node leases (node-leases.ts): a node whose lease was taken over is changed no more. */
  leases?: { lost(node: string): ErrorRecord | undefined };
}

interface ChangeItem extends WalkItem {
  change: Change;
}

interface GateItem extends WalkItem {
  gate: { rollout: RolloutBatches; batch: number };
}

type Item = ChangeItem | GateItem;

const gateId = (cluster: string, batch: number): string => `#rollout/${cluster}/batch-${batch + 1}`;


/** Done as planned: applied, or skipped by its own kind. */
const settled = (r: ChangeResult | undefined): boolean => r?.outcome === 'applied' || (r?.outcome === 'skipped' && r.cause === 'kind');

/** What the journal keeps of a result: its phase, and why (a failure's error, a skip's reason, an apply's note) with its code. */
function journalled(result: ChangeResult): { phase: 'succeeded' | 'failed' | 'skipped'; detail: string | null; code?: string } {
  if (result.outcome === 'failed') return { phase: 'failed', detail: result.error, code: result.code };
  if (result.outcome === 'skipped') return { phase: 'skipped', detail: result.reason, code: result.code };
  return { phase: 'succeeded', detail: result.message ?? null };
}

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

/** Which rollout (and batch) governs a change: its own cluster's, or for cluster-less changes (prunes) the first. */
function rolloutPositions(plan: Plan): (change: Change) => { rollout: RolloutBatches; batch: number } | undefined {
  const byNode = new Map<string, { rollout: RolloutBatches; batch: number }[]>();
  for (const rollout of plan.rollout) {
    rollout.batches.forEach((nodes, batch) => {
      for (const node of nodes) byNode.set(node, [...(byNode.get(node) ?? []), { rollout, batch }]);
    });
  }
  return (change) => {
    const positions = byNode.get(targetLabel(change.target));
    if (!positions) return undefined;
    return change.cluster === undefined ? positions[0] : positions.find((p) => p.rollout.cluster === change.cluster);
  };
}

function buildItems(plan: Plan): Item[] {
  const positionOf = rolloutPositions(plan);
  const members = new Map<string, string[]>();
  const items: Item[] = [];
  for (const change of plan.changes) {
    const position = positionOf(change);
    const dependsOn = [...change.dependsOn];
    if (position) {
      if (position.batch > 0) dependsOn.push(gateId(position.rollout.cluster, position.batch - 1));
      const gate = gateId(position.rollout.cluster, position.batch);
      members.set(gate, [...(members.get(gate) ?? []), change.id]);
    }
    // A zone's changes of one level go together, so its provider can send them in few UPDATE messages.
    items.push({ id: change.id, dependsOn, ...(change.target.type === 'zone' ? {} : { lane: targetLabel(change.target) }), change });
  }
  for (const rollout of plan.rollout) {
    rollout.batches.forEach((_, batch) => {
      const id = gateId(rollout.cluster, batch);
      items.push({ id, dependsOn: members.get(id) ?? [], afterSettled: true, gate: { rollout, batch } });
    });
  }
  return items;
}

export async function applyPlan(options: ApplyPlanOptions): Promise<ChangeSet> {
  const { plan, nodes, store, registry, effects, managedRecord } = options;
  const emit = options.onEvent ?? (() => undefined);
  const healthCheck = options.healthCheck ?? kindHealthCheck(effects);
  // Every node of the revision, also those with nothing to do or unreachable: what status shows.
  const covered = [...new Set([...Object.keys(nodes), ...Object.keys(options.unreachable ?? {}), ...plan.changes.map((c) => targetLabel(c.target))])].sort();
  const run = await store.beginRun({ revisionCommit: plan.revision.commit, planHash: plan.hash, nodes: covered });
  emit({ type: 'run-started', runId: run.id, changes: plan.changes.length });

  // Why each failed node failed, with the code status takes its reason from.
  const failedNodes = new Map<string, ErrorRecord>(Object.entries(options.unreachable ?? {}).map(([n, e]) => [n, { code: e.code, message: `unreachable: ${e.message}` }]));
  for (const [name, node] of Object.entries(nodes)) if (node.refused !== undefined) failedNodes.set(name, node.refused);
  const halted = new Map<string, RunCondition>();
  const results = new Map<string, ChangeResult>();
  const positionOf = rolloutPositions(plan);
  const fault = options.fault;

  // Owed restarts and re-runs, by the id of each change that must not touch the node before they are flagged.
  const nodeOf = new Map(plan.changes.map((c) => [c.id, targetLabel(c.target)]));
  const owedBy = new Map<string, Change[]>();
  for (const owed of plan.changes.filter((c) => owesRestart(registry, c))) {
    for (const id of [owed.id, ...owed.dependsOn.filter((d) => nodeOf.get(d) === targetLabel(owed.target))]) owedBy.set(id, [...(owedBy.get(id) ?? []), owed]);
  }
  const flagged = new Set<string>();

  const context = (node: string, changeId?: string): NodeApplyContext | undefined => {
    const target = nodes[node];
    if (!target) return undefined;
    const ctx: NodeApplyContext = { transport: options.transport, node: target.endpoint, serviceManager: target.serviceManager, run: { id: run.id, planHash: plan.hash } };
    if (changeId !== undefined && fault?.armed('during', changeId)) ctx.duringFault = () => fault.reach('during', changeId);
    for (const point of ['record-staged', 'record-truncated'] as const) {
      if (changeId !== undefined && fault?.armed(point, changeId)) ctx.recordFault = { point, reach: () => fault.reach(point, changeId) };
    }
    return ctx;
  };

  const finish = async (change: Change, result: ChangeResult): Promise<WalkOutcome> => {
    await store.journal({ runId: run.id, changeId: change.id, node: targetLabel(change.target), key: change.key, action: change.action, ...journalled(result) });
    results.set(change.id, result);
    emit({ type: 'change-finished', result });
    if (result.outcome === 'failed') return { status: 'failed', error: result.error };
    // A change its kind skipped has settled as intended (a directory left in place is no longer managed).
    if (result.outcome === 'applied' || result.cause === 'kind') return { status: 'succeeded' };
    return { status: 'skipped', reason: result.reason };
  };

  const ref = (c: Change) => ({ id: c.id, node: targetLabel(c.target), key: c.key, kind: c.kind, action: c.action });
  const skip = (change: Change, cause: SkipCause, why: ErrorRecord): Promise<WalkOutcome> =>
    finish(change, { ...ref(change), outcome: 'skipped', cause, reason: why.message, code: why.code });

  /** A node change: the managed-record updates around the kind's apply (what to flag and record before, what to record after). */
  const applyNodeChange = async (ctx: NodeApplyContext, change: Change): Promise<ApplyOutcome> => {
    const kindEffects = effects(change.kind);
    if (!kindEffects) throw noEffects(registry, change.kind);
    const owed = (owedBy.get(change.id) ?? []).filter((o) => !flagged.has(o.id));
    const before = managedUpdateBefore(registry, change);
    const updates = [...owed.map((o) => restartPendingMark(registry, o)), ...(before ? [before] : [])];
    if (updates.length > 0) await managedRecord.update(ctx, updates);
    for (const o of owed) flagged.add(o.id);
    const outcome = await kindEffects.apply(ctx, change);
    const after = managedUpdateAfter(registry, change);
    if (after) await managedRecord.update(ctx, [after]);
    return outcome;
  };

  /** A service target's change: its kind's effects, with the context its target's provider gives. */
  const applyServiceChange = (change: Change): Promise<ApplyOutcome> => {
    const kindEffects = effects(change.kind);
    if (!kindEffects) throw noEffects(registry, change.kind);
    return kindEffects.apply(serviceContext(options.targets ?? {}, change.target), change);
  };

  const applyChange = (change: Change): Promise<ApplyOutcome> => {
    if (change.target.type !== 'node') return applyServiceChange(change);
    const ctx = context(change.target.name, change.id);
    if (!ctx) throw new UnderlayError({ code: 'NoApplyTarget', message: `no node named ${change.target.name} that apply can reach`, data: { target: change.target.name } });
    return applyNodeChange(ctx, change);
  };

  const visitChange = async (change: Change, blockedBy: string | null): Promise<WalkOutcome> => {
    const position = positionOf(change);
    // Failures, leases and journal rows are per target: a node's name, or 'pool:<name>' for a pool.
    const lane = targetLabel(change.target);
    const halt = position ? halted.get(position.rollout.cluster) : undefined;
    if (halt) return skip(change, 'rollout-halted', { code: halt.reason, message: `rollout halted: ${halt.message}` });
    const leaseLost = options.leases?.lost(lane);
    if (leaseLost !== undefined && !failedNodes.has(lane)) failedNodes.set(lane, leaseLost);
    const nodeError = failedNodes.get(lane);
    if (nodeError !== undefined) return skip(change, 'node-failed', { code: nodeError.code, message: `node ${lane} failed: ${nodeError.message}` });
    if (blockedBy !== null) return skip(change, 'dependency-failed', { code: 'DependencyFailed', message: blockedBy });

    await store.journal({ runId: run.id, changeId: change.id, node: lane, key: change.key, action: change.action, phase: 'started', detail: null });
    emit({ type: 'change-started', change });
    await fault?.reach('before', change.id);
    let outcome: ApplyOutcome | { error: ErrorRecord };
    try {
      outcome = await applyChange(change);
    } catch (e) {
      outcome = { error: toErrorRecord(e) };
    }
    if ('error' in outcome) {
      const { error } = outcome;
      if (!failedNodes.has(lane)) failedNodes.set(lane, { code: error.code, message: `${change.id}: ${error.message}` });
      return finish(change, { ...ref(change), outcome: 'failed', error: error.message, code: error.code });
    }
    await fault?.reach('after', change.id);
    if (outcome.result === 'skipped') {
      return finish(change, { ...ref(change), outcome: 'skipped', cause: 'kind', reason: outcome.message ?? 'skipped by its kind', code: 'SkippedByKind' });
    }
    return finish(change, { ...ref(change), outcome: 'applied', ...(outcome.message !== undefined ? { message: outcome.message } : {}) });
  };

  const visitGate = async (item: GateItem): Promise<WalkOutcome> => {
    const { rollout, batch } = item.gate;
    const batchNodes = rollout.batches[batch] ?? [];
    if (halted.has(rollout.cluster)) return { status: 'skipped', reason: 'rollout halted' };
    const failed: Record<string, string> = {};
    const unhealthy: Record<string, string> = {};
    for (const node of batchNodes) {
      const error = failedNodes.get(node);
      if (error !== undefined) failed[node] = error.message;
      const ctx = context(node);
      if (error !== undefined || !ctx) continue;
      const restarted = plan.changes.filter((c) => targetLabel(c.target) === node && c.disruptive && results.get(c.id)?.outcome === 'applied');
      if (restarted.length === 0) continue;
      let health;
      try {
        health = await healthCheck.check(ctx, restarted);
      } catch (e) {
        health = { healthy: false as const, message: `health check failed: ${describeError(e)}` };
      }
      if (!health.healthy) {
        unhealthy[node] = health.message;
        failedNodes.set(node, { code: 'Unhealthy', message: `unhealthy after rollout batch ${batch + 1}: ${health.message}` });
      }
    }
    emit({ type: 'batch-gate', cluster: rollout.cluster, batch: batch + 1, nodes: batchNodes, failed, unhealthy });
    const remainingBatches = rollout.batches.length - batch - 1;
    if (remainingBatches === 0) return { status: 'succeeded' };
    const rolledOut = new Set(rollout.batches.slice(0, batch + 1).flat());
    const decision = circuitBreaker({
      cluster: rollout.cluster,
      failedNodes: [...failedNodes.keys()].filter((n) => rolledOut.has(n)),
      failureBudget: rollout.failureBudget,
      remainingBatches,
    });
    if (decision.state === 'allowed') return { status: 'succeeded' };
    const condition: RunCondition = { type: 'RolloutHalted', reason: decision.reason, message: decision.message, cluster: rollout.cluster };
    halted.set(rollout.cluster, condition);
    emit({ type: 'rollout-halted', condition });
    return { status: 'failed', error: decision.message };
  };

  // A record restored from its previous copy, or adopted, is written first, also on a node with nothing else to do.
  for (const name of Object.keys(nodes).sort()) {
    const ctx = context(name);
    if (!ctx || !nodes[name]?.rewriteManagedRecord || failedNodes.has(name)) continue;
    try {
      await managedRecord.update(ctx, []);
    } catch (e) {
      const error = toErrorRecord(e);
      failedNodes.set(name, { code: error.code, message: `writing back its managed record failed: ${error.message}` });
    }
  }

  await walkGraph<Item>({
    items: buildItems(plan),
    concurrency: options.concurrency,
    visit: (item, blockedBy) => ('gate' in item ? visitGate(item) : visitChange(item.change, blockedBy)),
  });

  const nodeResults: Record<string, NodeResult> = {};
  for (const node of covered) {
    const error = failedNodes.get(node);
    const mine = plan.changes.filter((c) => targetLabel(c.target) === node);
    const converged = error === undefined && mine.every((c) => settled(results.get(c.id)));
    nodeResults[node] = error === undefined ? { converged } : { converged: false, error };
    // A node left alone by a halted rollout has not failed, nor converged: its status stays as it was.
    if (error !== undefined) await store.recordNodeOutcome(run.id, plan.revision.commit, { node, converged: false, error });
    else if (converged) await store.recordNodeOutcome(run.id, plan.revision.commit, { node, converged: true });
  }

  const conditions = [...halted.values()].sort((a, b) => byCodeUnit(a.cluster ?? '', b.cluster ?? ''));
  const status = halted.size > 0 ? 'halted' : failedNodes.size > 0 ? 'failed' : 'succeeded';
  await store.finishRun(run.id, status, conditions);
  const changeSet: ChangeSet = {
    runId: run.id,
    planHash: plan.hash,
    status,
    results: plan.changes.map((c) => results.get(c.id) as ChangeResult),
    nodes: nodeResults,
    conditions,
  };
  emit({ type: 'run-finished', changeSet });
  return changeSet;
}
