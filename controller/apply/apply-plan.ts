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
import type { KindRegistry } from '../../reconcilers/registry.js';
import type { Plan } from '../model/plan.js';
import type { CertificateIssuer } from '../pki/certificate-issuer.js';
import type { Change } from '../model/change.js';
import { systemTimers, type Clock, type Timers } from '../clock.js';
import type { RunCondition, RunWriter } from '../store/store.js';
import type { RolloutStates } from '../store/rollout-states.js';
import type { NodeEndpoint, Transport } from '../transport/transport.js';
import type { ChangeResult, ChangeSet, NodeResult } from './change-set.js';
import { walkGraph } from './graph-walk.js';
import { kindHealthCheck, type HealthCheck } from './health-check.js';
import type { FaultHook } from './fault-injection.js';
import type { ManagedRecordKeeper } from './managed-record-keeper.js';
import { toErrorRecord, type ErrorRecord } from '../model/errors.js';
import { byCodeUnit } from '../model/order.js';
import { targetLabel } from '../model/target.js';
import type { ServiceTargetProviders } from '../targets/target-providers.js';
import { ApplyRun } from './apply-run.js';
import { GATE_RETRY_MS, gateResumed, visitGate, type RolloutGateDeps } from './rollout-gate.js';
import { failedNodeLine } from '../rollout/rollout-state.js';
import { visitBatchStart } from './batch-start.js';
import type { BatchHealthDeps, StepFailure } from './batch-health.js';
import { controllerGateProbes } from './gate-probes.js';
import { GateRunner, type GateProbes } from './gate-runner.js';
import type { Redact } from '../secrets/secret-redactor.js';
import { walkItems, type Item } from './walk-items.js';
import type { RollbackSource } from './rollback-apply.js';
import type { SecretSource } from '../secrets/secret-source.js';

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
  /** `passed`: per node that was gated and is healthy, the gates that passed (none for a node with nothing to gate). */
  | { type: 'batch-gate'; cluster: string; batch: number; nodes: string[]; failed: Record<string, string>; unhealthy: Record<string, string>; passed?: Record<string, string[]> }
  | { type: 'rollout-halted'; condition: RunCondition }
  /** The check before a batch (ADR 0020): the members down already, with why, and whether the batch is held for them. */
  | { type: 'batch-check'; cluster: string; batch: number; down: Record<string, string>; held: boolean }
  /** A node's drain steps ran before its batch, or its undrain steps after its gates passed (or after a failed drain). */
  | { type: 'drain' | 'undrain'; cluster: string; batch: number; node: string; failed?: StepFailure }
  /** A step of the automatic rollback of a failed node (rollback-apply.ts, ADR 0026), as one line. */
  | { type: 'rollback'; cluster: string; batch: number; node: string; message: string }
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
  /** Signs the nodes' CSRs for certificate changes (NodeApplyContext.issuer). */
  issuer?: CertificateIssuer;
  /** The resource kinds (their ownership of the managed record), and what carries each kind's changes out. */
  registry: KindRegistry;
  effects: EffectsLookup;
  managedRecord: ManagedRecordKeeper;
  /** The run, its journal, and each cluster's rollout state (resumed from, written at every step). */
  store: RunWriter & RolloutStates;
  clock: Clock;
  /** What gate retries and soaks wait on; default the system's. */
  timers?: Timers;
  /** Nodes being changed at once. */
  concurrency: number;
  /** Default: ask each change's kind (see health-check.ts). */
  healthCheck?: HealthCheck;
  /** How gates reach the nodes and services; default: from this process, and over `transport`. */
  gateProbes?: GateProbes;
  /**
   * Takes every secret value out of gate and drain output before it reaches events, status and alerts
   * (secret-redactor.ts). The caller builds it from the site's secrets; default: nothing to take out.
   */
  redact?: Redact;
  onEvent?: (event: ApplyEvent) => void;
  /**
   * Reads the last good revision's desired state for a failed node (rollback-apply.ts): without it, a
   * rollout with `rollback: failed-nodes` says its failed nodes were not rolled back.
   */
  rollback?: RollbackSource;
  /** Crash tests only (fault-injection.ts): where to stop for good. */
  fault?: FaultHook;
  /** The site's secrets, for the kinds that deliver one (secretFile): read at apply time, never from the plan. */
  secrets?: SecretSource;
  /** The apply's node leases (node-leases.ts): a node whose lease was taken over is changed no more. */
  leases?: { lost(node: string): ErrorRecord | undefined };
  /**
   * Asked before each change begins: once it answers, no further change begins (they are skipped with its
   * reason) and the run ends `interrupted`; changes already begun finish. The controller's SIGTERM.
   */
  stop?: { requested(): ErrorRecord | undefined };
}

function batchHealthDeps(options: ApplyPlanOptions): BatchHealthDeps {
  const probes = options.gateProbes ?? controllerGateProbes(options.transport, (node) => options.nodes[node]?.endpoint);
  const redact = options.redact ?? ((text: string) => text);
  const timers = options.timers ?? systemTimers;
  const runner = new GateRunner({ probes, clock: options.clock, timers, redact, retryIntervalMs: GATE_RETRY_MS });
  return { runner, probes, redact, now: () => options.clock.now() };
}

/** Done as planned: applied, or skipped by its own kind. */
const settled = (r: ChangeResult | undefined): boolean => r?.outcome === 'applied' || (r?.outcome === 'skipped' && r.cause === 'kind');

export async function applyPlan(options: ApplyPlanOptions): Promise<ChangeSet> {
  const { plan, nodes, store, effects } = options;
  const healthCheck = options.healthCheck ?? kindHealthCheck(effects);
  const health = batchHealthDeps(options);
  // Every node of the revision, also those with nothing to do or unreachable: what status shows.
  const covered = [...new Set([...Object.keys(nodes), ...Object.keys(options.unreachable ?? {}), ...plan.changes.map((c) => targetLabel(c.target))])].sort();
  const { id: runId } = await store.beginRun({ revisionCommit: plan.revision.commit, planHash: plan.hash, nodes: covered });
  options.onEvent?.({ type: 'run-started', runId, changes: plan.changes.length });
  const run = new ApplyRun(options, runId);

  await rewriteManagedRecords(run);
  await beginRollouts(run, { healthCheck, health });
  await walkGraph<Item>({
    items: walkItems(plan, (kind) => effects(kind)?.applyLevel !== undefined),
    concurrency: options.concurrency,
    visit: (item, blockedBy) =>
      'gate' in item ? visitGate(run, item, { healthCheck, health }) : 'start' in item ? visitBatchStart(run, item, { healthCheck, health }) : run.visit(item, blockedBy),
  });
  const nodeResults = await recordNodeOutcomes(run, covered);
  if (Object.values(nodeResults).every((r) => r.converged)) await run.rollouts.completeUnbatched();

  const conditions = [...run.halted.values()].sort((a, b) => byCodeUnit(a.cluster ?? '', b.cluster ?? ''));
  const status = run.stopped ? 'interrupted' : run.halted.size > 0 ? 'halted' : run.failedNodes.size > 0 ? 'failed' : 'succeeded';
  await store.finishRun(runId, status, conditions);
  const changeSet: ChangeSet = {
    runId,
    planHash: plan.hash,
    status,
    results: plan.changes.map((c) => run.results.get(c.id) as ChangeResult),
    nodes: nodeResults,
    conditions,
  };
  options.onEvent?.({ type: 'run-finished', changeSet });
  return changeSet;
}

/**
 * Each cluster's rollout started or taken up: a stopped one halts its batches, the nodes it failed stay
 * failed (not retried in the same rollout), an interrupted batch is gated, and the first batch may start.
 */
async function beginRollouts(run: ApplyRun, deps: RolloutGateDeps): Promise<void> {
  const { stopped, resumed } = await run.rollouts.begin();
  for (const condition of stopped) run.halted.set(condition.cluster!, condition);
  for (const intents of run.plan.rollout) {
    const state = run.rollouts.state(intents.cluster);
    if (!state || run.halted.has(intents.cluster)) continue;
    for (const f of state.failed) {
      if (state.recovered.includes(f.node) || run.failedNodes.has(f.node)) continue;
      run.failedNodes.set(f.node, { code: 'FailedInRollout', message: `failed in batch ${f.batch} of this rollout (${failedNodeLine(f)}); not retried until a new commit, or \`underlay rollout resume --recovered ${f.node}\`` });
    }
  }
  for (const r of resumed) await gateResumed(run, r, deps);
  for (const intents of run.plan.rollout) {
    if (run.halted.has(intents.cluster) || intents.batches.length === 0) continue;
    const paused = await run.rollouts.batchStarting(intents.cluster, 0);
    if (paused) {
      run.halted.set(intents.cluster, paused);
      run.options.onEvent?.({ type: 'rollout-halted', condition: paused });
    }
  }
}

/** A record restored from its previous copy, or adopted, is written first, also on a node with nothing else to do. */
async function rewriteManagedRecords(run: ApplyRun): Promise<void> {
  const { nodes, managedRecord } = run.options;
  for (const name of Object.keys(nodes).sort()) {
    const ctx = run.context(name);
    if (!ctx || !nodes[name]?.rewriteManagedRecord || run.failedNodes.has(name)) continue;
    try {
      await managedRecord.update(ctx, []);
    } catch (e) {
      const error = toErrorRecord(e);
      run.failedNodes.set(name, { code: error.code, message: `writing back its managed record failed: ${error.message}` });
    }
  }
}

/** Each covered node's result, recorded in the store: failed, converged, or (left alone by a halted rollout) as it was. */
async function recordNodeOutcomes(run: ApplyRun, covered: readonly string[]): Promise<Record<string, NodeResult>> {
  const { plan, store } = run.options;
  const nodeResults: Record<string, NodeResult> = {};
  for (const node of covered) {
    const error = run.failedNodes.get(node);
    const mine = plan.changes.filter((c) => targetLabel(c.target) === node);
    const converged = error === undefined && mine.every((c) => settled(run.results.get(c.id)));
    nodeResults[node] = error === undefined ? { converged } : { converged: false, error };
    if (error !== undefined) await store.recordNodeOutcome(run.runId, plan.revision.commit, { node, converged: false, error });
    else if (converged) await store.recordNodeOutcome(run.runId, plan.revision.commit, { node, converged: true });
  }
  return nodeResults;
}
