/**
 * The rollout simulator: (intents, outcomes) -> the event log and the persisted state, on a simulated clock.
 * It carries out the intents the way apply is to: a check before each batch that it takes no more members
 * down than maxUnavailable allows, the batch's changes, its gates within the deadline, the circuit breaker
 * over the failures of the whole rollout, rollback of failed nodes, soaks, and the stops an operator or a
 * crash makes. Every stop leaves a state from which the next run resumes, so the golden logs under
 * test/rollouts/ pin what an operator sees in each case before apply carries it out.
 */
import { circuitBreaker } from './circuit-breaker.js';
import { rollbackDecision, rollbackFailedLine, rollbackOutcome, rolledBackLine } from './rollback-plan.js';
import { capGateOutput } from './gate-output.js';
import type { BatchIntent, RolloutIntents } from './rollout-planner.js';
import { downByRollout, nextBatch, startRolloutState, type FailedNode, type GateFailure, type RolloutState } from './rollout-state.js';

/** Simulated seconds for one node's changes, and for a gate that outcomes do not time. */
export const CHANGE_SECONDS = 5;
export const GATE_SECONDS = 10;

/** How a gate answers on a node; the first outcome that matches wins, and without one the gate passes. */
export interface GateOutcome {
  node: string;
  /** Default: every gate. */
  gate?: string;
  /** Default: every revision. */
  revision?: string;
  /** The gate after this node was rolled back (default false: the gate after its batch). */
  rollback?: boolean;
  result: 'pass' | 'fail' | 'timeout';
  /** Until the answer; a pass later than the batch's deadline is a timeout. */
  seconds?: number;
  output?: string;
}

/** What an operator does when the rollout stops (paused or halted), in order; `pause` is at a batch's end. */
export type OperatorAction =
  | { action: 'pause'; afterBatch: number }
  | { action: 'resume'; waitSeconds: number; recovered?: string[] }
  | { action: 'abort'; waitSeconds: number }
  | { action: 'new-commit'; waitSeconds: number; revision: string; disrupted: string[] };

export interface RolloutOutcomes {
  revision: string;
  /** The last revision whose rollout of the cluster completed without tripping: what rollback re-applies. */
  lastGoodRevision?: string;
  gates?: GateOutcome[];
  /** The process is killed in that batch, after its changes or after its gates (before the pass is recorded). */
  crash?: { batch: number; after: 'changes' | 'gates' };
  operator?: OperatorAction[];
}

export type RolloutEventType =
  | 'rollout-started'
  | 'batch-held'
  | 'batch-started'
  | 'node-changed'
  | 'gate-passed'
  | 'gate-failed'
  | 'batch-passed'
  | 'soak'
  | 'breaker-tripped'
  | 'rollback'
  | 'paused'
  | 'halted'
  | 'resumed'
  | 'aborted'
  | 'process-killed'
  | 'new-commit'
  | 'rollout-completed';

export interface RolloutEvent {
  /** Simulated seconds since the simulation started. */
  at: number;
  type: RolloutEventType;
  batch?: number;
  nodes?: string[];
  message: string;
}

export interface SimulationInput {
  intents: RolloutIntents;
  outcomes: RolloutOutcomes;
  /** The intents for a new revision's rollout, for the nodes that do not match it (resume by a new commit). */
  replan: (disrupted: string[]) => RolloutIntents;
  /** The state an earlier process persisted: the run resumes from it instead of starting the rollout. */
  state?: RolloutState;
}

export interface Simulation {
  events: RolloutEvent[];
  state: RolloutState;
}

/** One run's working set: the intents, the state it persists as it goes, the clock and the log. */
interface Run {
  intents: RolloutIntents;
  outcomes: RolloutOutcomes;
  state: RolloutState;
  clock: { now: number };
  events: RolloutEvent[];
  crash?: RolloutOutcomes['crash'];
}

const list = (nodes: readonly string[]): string => (nodes.length === 0 ? 'none' : nodes.join(', '));

function emit(run: Run, event: Omit<RolloutEvent, 'at'>): void {
  run.events.push({ at: run.clock.now, ...event });
}

function gateOutcome(run: Run, at: { node: string; gate: string; rollback: boolean }): GateOutcome | undefined {
  return run.outcomes.gates?.find(
    (o) =>
      o.node === at.node &&
      (o.gate === undefined || o.gate === at.gate) &&
      (o.revision === undefined || o.revision === run.state.revision) &&
      (o.rollback ?? false) === at.rollback,
  );
}

/** How the gate ends: a pass later than the deadline is a timeout, and a timeout takes the whole deadline. */
function gateVerdict(outcome: GateOutcome | undefined, deadline: number): { result: 'pass' | 'fail' | 'timeout'; seconds: number } {
  const seconds = outcome?.seconds ?? GATE_SECONDS;
  const result = outcome?.result ?? 'pass';
  if (result === 'timeout' || (result === 'pass' && seconds > deadline)) return { result: 'timeout', seconds: deadline };
  return { result, seconds };
}

/** Runs one gate on one node within the deadline; the failure, if it did not pass. */
function runGate(run: Run, at: { batch: BatchIntent; node: string; gate: string; rollback: boolean }): GateFailure | undefined {
  const outcome = gateOutcome(run, at);
  const deadline = at.batch.deadlineSeconds;
  const { result, seconds } = gateVerdict(outcome, deadline);
  run.clock.now += seconds;
  const what = `gate ${at.gate} on ${at.node}${at.rollback ? ' (after rollback)' : ''}`;
  const event = { batch: at.batch.batch, nodes: [at.node] };
  if (result === 'pass') {
    emit(run, { ...event, type: 'gate-passed', message: `${what} passed after ${seconds}s` });
    return undefined;
  }
  const output = capGateOutput(outcome?.output ?? '');
  const why = result === 'timeout' ? `not healthy within the progress deadline of ${deadline}s` : `failed after ${seconds}s`;
  emit(run, { ...event, type: 'gate-failed', message: `${what} ${why}${output === '' ? '' : `: ${JSON.stringify(output)}`}` });
  return { gate: at.gate, result, output };
}

/** The check before a batch: members down (already, or failed by this rollout) plus the batch stay within maxUnavailable. */
function heldBack(run: Run, batch: BatchIntent): boolean {
  const down = new Set([...run.intents.unavailable, ...downByRollout(run.state)]);
  const wouldBeDown = new Set([...down, ...batch.nodes]);
  if (wouldBeDown.size <= run.intents.maxUnavailable) return false;
  const message =
    `batch ${batch.batch} (${list(batch.nodes)}) not started: ${down.size} member(s) down (${list([...down].sort())}), ` +
    `the batch would make ${wouldBeDown.size}, maxUnavailable is ${run.intents.maxUnavailable}`;
  emit(run, { type: 'batch-held', batch: batch.batch, nodes: batch.nodes, message });
  emit(run, { type: 'paused', batch: batch.batch, message: 'paused (MaxUnavailableReached): resume when the members are healthy again' });
  Object.assign(run.state, { status: 'paused', reason: 'MaxUnavailableReached' });
  return true;
}

function changeNodes(run: Run, batch: BatchIntent): void {
  const resumed = run.state.inFlight?.batch === batch.batch ? run.state.inFlight.changed : [];
  const domain = batch.domain !== undefined ? ` in ${batch.domain}` : '';
  const kind = batch.canary ? 'canary batch' : 'batch';
  emit(run, { type: 'batch-started', batch: batch.batch, nodes: batch.nodes, message: `${kind} ${batch.batch}${domain} started: ${list(batch.nodes)}` });
  run.state.inFlight = { batch: batch.batch, changed: [...resumed] };
  for (const node of batch.nodes) {
    if (resumed.includes(node)) {
      emit(run, { type: 'node-changed', batch: batch.batch, nodes: [node], message: `${node} already at ${run.state.revision} (changed before the process stopped)` });
      continue;
    }
    run.clock.now += CHANGE_SECONDS;
    run.state.inFlight.changed.push(node);
    emit(run, { type: 'node-changed', batch: batch.batch, nodes: [node], message: `${node} changed to ${run.state.revision}` });
  }
}

/** The batch's gates on each node; the nodes that failed them. A node counts against the budget once, even when its batch runs again after a crash. */
function gateNodes(run: Run, batch: BatchIntent): FailedNode[] {
  const failedNow: FailedNode[] = [];
  for (const node of batch.nodes) {
    const gates = batch.gates.map((gate) => runGate(run, { batch, node, gate, rollback: false })).filter((f) => f !== undefined);
    if (gates.length === 0) continue;
    const failed = { node, batch: batch.batch, gates };
    failedNow.push(failed);
    if (!run.state.failed.some((f) => f.node === node)) run.state.failed.push(failed);
  }
  run.state.budget.used = run.state.failed.length;
  return failedNow;
}

const describeFailure = (g: GateFailure): string =>
  `${g.gate} ${g.result === 'timeout' ? 'timed out' : 'failed'}${g.output === '' ? '' : ` ${JSON.stringify(g.output)}`}`;

/** Puts each failed node back on the last good revision, through the same gates; without one (a first rollout), says so. */
function rollBack(run: Run, batch: BatchIntent, failed: readonly FailedNode[]): void {
  const decision = rollbackDecision({ intents: run.intents, failed: failed.map((f) => f.node), lastGoodRevision: run.outcomes.lastGoodRevision, revision: run.state.revision });
  if (decision.action === 'none') return;
  for (const f of failed) {
    const recorded = run.state.failed.find((x) => x.node === f.node) ?? f;
    if (decision.action === 'no-last-good') {
      recorded.rollback = rollbackOutcome.notRolledBack(decision.message);
      emit(run, { type: 'rollback', batch: batch.batch, nodes: [f.node], message: `${f.node} ${decision.message}` });
      continue;
    }
    run.clock.now += CHANGE_SECONDS;
    emit(run, { type: 'rollback', batch: batch.batch, nodes: [f.node], message: rolledBackLine(f.node, decision.revision) });
    const failures = batch.gates.map((gate) => runGate(run, { batch, node: f.node, gate, rollback: true })).filter((g) => g !== undefined);
    if (failures.length === 0) {
      recorded.rollback = rollbackOutcome.rolledBack(decision.revision);
      run.state.rolledBack.push(f.node);
      continue;
    }
    recorded.rollback = rollbackOutcome.failed(decision.revision, failures.map(describeFailure).join(', '));
    emit(run, { type: 'rollback', batch: batch.batch, nodes: [f.node], message: rollbackFailedLine(f.node) });
  }
}

/** The breaker after a batch with failures; true when it tripped and the rollout stopped. */
function tripped(run: Run, batch: BatchIntent, failedNow: readonly FailedNode[]): boolean {
  if (failedNow.length === 0) return false;
  const remainingBatches = run.intents.batches.length - batch.batch;
  const decision = circuitBreaker({
    cluster: run.intents.cluster,
    failedNodes: run.state.failed.map((f) => f.node),
    failureBudget: run.state.budget.allowed,
    remainingBatches,
    onFailure: run.intents.onFailure,
  });
  if (decision.state === 'allowed') return false;
  const gates = run.state.failed.map((f) => `${f.node}: ${f.gates.map(describeFailure).join(', ')}`);
  emit(run, { type: 'breaker-tripped', batch: batch.batch, nodes: run.state.failed.map((f) => f.node), message: `breaker tripped (${decision.reason}): ${decision.message} [${gates.join('; ')}]` });
  const status = run.intents.onFailure === 'pause' ? 'paused' : 'halted';
  Object.assign(run.state, { status, reason: decision.reason });
  emit(run, { type: status, batch: batch.batch, message: `${status} (${decision.reason})${status === 'paused' ? ': resume, abort, or push a fix' : ': abort, resume, or push a fix'}` });
  return true;
}

/** After a batch passed: its soak, then an operator's pause if one was asked for there. */
function afterBatch(run: Run, batch: BatchIntent, pauses: readonly OperatorAction[]): boolean {
  if (batch.soakSeconds > 0) {
    emit(run, { type: 'soak', batch: batch.batch, message: `soak ${batch.soakSeconds}s after batch ${batch.batch}` });
    run.clock.now += batch.soakSeconds;
  }
  if (!pauses.some((p) => p.action === 'pause' && p.afterBatch === batch.batch)) return false;
  Object.assign(run.state, { status: 'paused', reason: 'PausedByOperator' });
  emit(run, { type: 'paused', batch: batch.batch, message: `paused by the operator after batch ${batch.batch}` });
  return true;
}

type Stop = 'crashed' | 'stopped';

/** One batch from start to pass; a stop when the rollout must not go on. */
function runBatch(run: Run, batch: BatchIntent, pauses: readonly OperatorAction[]): Stop | undefined {
  if (heldBack(run, batch)) return 'stopped';
  changeNodes(run, batch);
  const killedAfter = run.crash?.batch === batch.batch ? run.crash.after : undefined;
  if (killedAfter === 'changes') return 'crashed';
  const failedNow = gateNodes(run, batch);
  if (killedAfter === 'gates') return 'crashed';
  rollBack(run, batch, failedNow);
  delete run.state.inFlight;
  run.state.batchesDone.push(batch.batch);
  if (tripped(run, batch, failedNow)) return 'stopped';
  const failed = failedNow.length === 0 ? '' : ` with ${failedNow.length} failed node(s) within the budget (${run.state.budget.used} of ${run.state.budget.allowed} used)`;
  emit(run, { type: 'batch-passed', batch: batch.batch, nodes: batch.nodes, message: `batch ${batch.batch} passed${failed}` });
  const last = batch.batch === run.intents.batches.length;
  return !last && afterBatch(run, batch, pauses) ? 'stopped' : undefined;
}

/** The batches from where the state says, until the end or a stop. */
function runBatches(run: Run, pauses: readonly OperatorAction[]): Stop {
  for (const batch of run.intents.batches.slice(nextBatch(run.state) - 1)) {
    const stop = runBatch(run, batch, pauses);
    if (stop === 'crashed') {
      emit(run, { type: 'process-killed', batch: batch.batch, message: `process killed in batch ${batch.batch}, after its ${run.crash!.after}` });
      return stop;
    }
    if (stop) return stop;
  }
  run.state.status = 'completed';
  delete run.state.reason;
  const failed = run.state.failed.map((f) => f.node);
  emit(run, { type: 'rollout-completed', message: `rollout of ${run.intents.cluster} at ${run.state.revision} completed; failed: ${list(failed)}` });
  return 'stopped';
}

function started(run: Run): void {
  const { intents } = run;
  const message =
    `rollout of ${intents.cluster} at ${run.state.revision}: ${intents.batches.length} batch(es), ` +
    `maxUnavailable ${intents.maxUnavailable}, failure budget ${intents.failureBudget}, on failure ${intents.onFailure}, rollback ${intents.rollback}: ` +
    intents.batches.map((b) => `${b.batch}) ${list(b.nodes)}`).join('  ');
  emit(run, { type: 'rollout-started', message });
  if (intents.held.length > 0) {
    emit(run, { type: 'batch-held', nodes: intents.held, message: `held, maxUnavailable used up by members already down (${list(intents.unavailable)}): ${list(intents.held)}` });
  }
}

/** Aborting leaves every node as it is, and says which is where. */
function abort(run: Run): void {
  const done = new Set(run.state.batchesDone);
  const inFlight = run.state.inFlight?.changed ?? [];
  const reached = [...run.intents.batches.filter((b) => done.has(b.batch)).flatMap((b) => b.nodes), ...inFlight];
  const notStarted = run.intents.batches.flatMap((b) => b.nodes).filter((n) => !reached.includes(n));
  const failed = run.state.failed.map((f) => f.node);
  const changed = reached.filter((n) => !failed.includes(n));
  Object.assign(run.state, { status: 'aborted', reason: 'AbortedByOperator' });
  const message =
    `aborted by the operator; nodes left as they are: at ${run.state.revision}: ${list(changed)}; ` +
    `failed: ${list(failed.filter((n) => !run.state.rolledBack.includes(n)))}; rolled back: ${list(run.state.rolledBack)}; not started: ${list(notStarted)}`;
  emit(run, { type: 'aborted', message });
}

/** The operator's next action on a stopped rollout; false when there is none (the rollout stays as it is). */
function operate(run: Run, action: OperatorAction | undefined, replan: SimulationInput['replan']): boolean {
  if (action === undefined || action.action === 'pause') return false;
  run.clock.now += action.waitSeconds;
  if (action.action === 'abort') {
    abort(run);
    return false;
  }
  if (action.action === 'resume') {
    run.state.recovered.push(...(action.recovered ?? []));
    Object.assign(run.state, { status: 'running' });
    delete run.state.reason;
    const recovered = action.recovered?.length ? `; healthy again: ${list(action.recovered)}` : '';
    emit(run, { type: 'resumed', message: `resumed by the operator at batch ${nextBatch(run.state)}${recovered}; failure budget ${run.state.budget.used} of ${run.state.budget.allowed} used` });
    return true;
  }
  const matching = run.intents.batches.flatMap((b) => b.nodes).filter((n) => !action.disrupted.includes(n));
  run.intents = replan(action.disrupted);
  run.state = startRolloutState({ cluster: run.intents.cluster, revision: action.revision, failureBudget: run.intents.failureBudget });
  const message = `new commit ${action.revision}: a new rollout, with a new failure budget, of the nodes that do not match it (${list(action.disrupted)}); skipped, matching it: ${list(matching)}`;
  emit(run, { type: 'new-commit', nodes: action.disrupted, message });
  started(run);
  return true;
}

function resumed(run: Run, after: string): void {
  emit(run, { type: 'resumed', message: `resumed ${after} from the persisted state: batches done ${list(run.state.batchesDone.map(String))}, at batch ${nextBatch(run.state)}` });
}

export function simulateRollout(input: SimulationInput): Simulation {
  const { intents, outcomes } = input;
  const run: Run = {
    intents,
    outcomes,
    state: input.state ?? startRolloutState({ cluster: intents.cluster, revision: outcomes.revision, failureBudget: intents.failureBudget }),
    clock: { now: 0 },
    events: [],
    ...(outcomes.crash ? { crash: outcomes.crash } : {}),
  };
  const pauses = (outcomes.operator ?? []).filter((a) => a.action === 'pause');
  const actions = (outcomes.operator ?? []).filter((a) => a.action !== 'pause');
  if (input.state) resumed(run, 'in a new process');
  else started(run);
  for (;;) {
    if (run.state.status === 'running' && runBatches(run, pauses) === 'crashed') {
      // The next process knows only what was persisted.
      delete run.crash;
      run.state = JSON.parse(JSON.stringify(run.state)) as RolloutState;
      resumed(run, 'after the crash');
      continue;
    }
    const stopped = run.state.status === 'paused' || run.state.status === 'halted';
    if (!stopped || !operate(run, actions.shift(), input.replan)) break;
  }
  return { events: run.events, state: run.state };
}
