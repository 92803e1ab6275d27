/**
 * The rollouts one apply carries out, one per cluster of the plan, persisted in the store at every step
 * (ADR 0019): a batch's nodes are recorded before they are touched, a batch that passed its gates is
 * recorded as done, the failed nodes and the budget they used are kept across the whole rollout, and the
 * status says where it stands. A new process at the same revision goes on from there: the plan it makes
 * again holds only the nodes not yet changed, its batches are numbered after the ones done, and the nodes
 * of an interrupted batch are gated before anything else moves. The transitions are those of the pure
 * simulator (controller/rollout/rollout-simulator.ts), which the golden logs pin.
 */
import type { Change } from '../model/change.js';
import type { Plan } from '../model/plan.js';
import type { BatchIntent, RolloutIntents } from '../model/rollout.js';
import { nodesAsTheyAre } from '../rollout/rollout-control.js';
import { circuitBreaker } from '../rollout/circuit-breaker.js';
import { downByRollout, failedNodeLine, nextBatch, startRolloutState, type FailedNode, type RolloutState } from '../rollout/rollout-state.js';
import type { RolloutStates, StoredRollout } from '../store/rollout-states.js';
import type { RunCondition } from '../store/store.js';

const list = (nodes: readonly string[]): string => (nodes.length === 0 ? 'none' : nodes.join(', '));

/** The condition a stopped rollout shows, by its status. */
const CONDITION: Record<'paused' | 'halted' | 'aborted', string> = { paused: 'RolloutPaused', halted: 'RolloutHalted', aborted: 'RolloutAborted' };


/** What an operator reads on a rollout stopped at this revision, and what to do about it. */
export function stoppedCondition(state: RolloutState): RunCondition | undefined {
  if (state.status !== 'paused' && state.status !== 'halted' && state.status !== 'aborted') return undefined;
  const { cluster, revision } = state;
  const failed = state.failed.length > 0 ? `; failed: ${state.failed.map(failedNodeLine).join('; ')}` : '';
  const next =
    state.status === 'aborted'
      ? `${nodesAsTheyAre(state)}; it stays aborted until a new commit starts a new rollout (or \`underlay rollout resume\` takes it up again)`
      : `run \`underlay rollout resume --cluster ${cluster}\` to carry on, \`underlay rollout abort --cluster ${cluster}\` to stop it, or push a fix`;
  return {
    type: CONDITION[state.status],
    reason: state.reason ?? CONDITION[state.status],
    message: `rollout of cluster ${cluster} at ${revision} is ${state.status} (${state.reason ?? state.status}) after batch(es) ${list(state.batchesDone.map(String))}${failed}: ${next}`,
    cluster,
  };
}

/** The rollouts of this plan's revision that stopped (paused, halted, aborted): apply refuses to run them. */
export async function stoppedRollouts(store: RolloutStates, plan: Plan): Promise<RunCondition[]> {
  const out: RunCondition[] = [];
  for (const intents of plan.rollout) {
    const stored = await store.rolloutState(intents.cluster);
    if (stored?.state.revision !== plan.revision.commit) continue;
    const condition = stoppedCondition(stored.state);
    if (condition) out.push(condition);
  }
  return out;
}

/** A gate's view of a change: no content, which the store must not hold and a gate does not need. */
function checkOf(change: Change): Change {
  const after = change.after === null ? null : Object.fromEntries(Object.entries(change.after).filter(([k]) => k !== 'content' && k !== 'contentBase64'));
  return { ...change, before: null, after };
}

/** The interrupted batch to gate before anything else: its changed nodes that this plan has nothing more for. */
export interface ResumedBatch {
  cluster: string;
  batch: number;
  checks: Record<string, Change[]>;
}

export class ClusterRollouts {
  private readonly states = new Map<string, RolloutState>();
  private readonly offsets = new Map<string, number>();
  private readonly touched = new Set<string>();

  constructor(
    private readonly store: RolloutStates,
    private readonly plan: Plan,
  ) {}

  private intentsOf(cluster: string): RolloutIntents {
    return this.plan.rollout.find((r) => r.cluster === cluster)!;
  }

  state(cluster: string): RolloutState | undefined {
    return this.states.get(cluster);
  }

  /** The rollout's number of the plan's batch at `index`: a resumed rollout goes on counting. */
  batchNumber(cluster: string, index: number): number {
    return (this.offsets.get(cluster) ?? 0) + index + 1;
  }

  private async save(state: RolloutState): Promise<void> {
    this.states.set(state.cluster, state);
    await this.store.changeRolloutState(state.cluster, () => ({ state: structuredClone(state) }));
  }

  /**
   * Starts each cluster's rollout, or takes up the one of this revision a process left running. Returns the
   * conditions of those that must not go on (stopped, or an operator's request found at the start), and the
   * interrupted batches to gate first.
   */
  async begin(): Promise<{ stopped: RunCondition[]; resumed: ResumedBatch[] }> {
    const stopped: RunCondition[] = [];
    const resumed: ResumedBatch[] = [];
    for (const intents of this.plan.rollout) {
      const stored = await this.store.changeRolloutState(intents.cluster, (current) => this.opening(intents, current));
      const state = structuredClone(stored!.state);
      this.states.set(intents.cluster, state);
      const condition = stoppedCondition(state);
      if (condition) {
        stopped.push(condition);
        continue;
      }
      const interrupted = await this.closeInterrupted(state);
      if (interrupted) resumed.push(interrupted);
      // The interrupted batch is closed by its resumed gate: this plan's first batch is the one after it.
      this.offsets.set(intents.cluster, interrupted ? interrupted.batch : nextBatch(state) - 1);
    }
    return { stopped, resumed };
  }

  /** The state to go on from: this revision's running one (an operator's request acted on), else a new rollout. */
  private opening(intents: RolloutIntents, current: StoredRollout | null): { state: RolloutState; request: null } | undefined {
    const revision = this.plan.revision.commit;
    const fresh = { state: startRolloutState({ cluster: intents.cluster, revision, failureBudget: intents.failureBudget }), request: null };
    if (current?.state.revision !== revision || current.state.status === 'completed') return fresh;
    if (current.state.status !== 'running') return undefined;
    if (current.request === 'pause') return { state: { ...current.state, status: 'paused', reason: 'PausedByOperator' }, request: null };
    if (current.request === 'abort') return { state: { ...current.state, status: 'aborted', reason: 'AbortedByOperator' }, request: null };
    return undefined;
  }

  /**
   * A batch a killed process had started: the nodes it changed that this plan has no batched change for are
   * gated now (their gate never ran); those it still has go in this plan's batches. Either way the batch is
   * closed, and this plan's first batch is the next one.
   */
  private async closeInterrupted(state: RolloutState): Promise<ResumedBatch | undefined> {
    const inFlight = state.inFlight;
    if (!inFlight) return undefined;
    if (inFlight.changed.length === 0) {
      delete state.inFlight;
      await this.save(state);
      return undefined;
    }
    const stillBatched = new Set(this.intentsOf(state.cluster).batches.flatMap((b) => b.nodes));
    const checks = Object.fromEntries(Object.entries(inFlight.checks ?? {}).filter(([node]) => !stillBatched.has(node)));
    return { cluster: state.cluster, batch: inFlight.batch, checks };
  }

  /** Before a node of a batch is touched: on record as changed in it, with what its gate will look at. */
  async touching(cluster: string, index: number, node: string): Promise<void> {
    const state = this.states.get(cluster);
    if (!state || this.touched.has(`${cluster}/${node}`)) return;
    this.touched.add(`${cluster}/${node}`);
    const batch = this.batchNumber(cluster, index);
    const inFlight = state.inFlight?.batch === batch ? state.inFlight : { batch, changed: [], checks: {} };
    const checks = this.plan.changes.filter((c) => c.disruptive && c.target.type === 'node' && c.target.name === node && (c.cluster ?? cluster) === cluster).map(checkOf);
    state.inFlight = { ...inFlight, changed: [...inFlight.changed, node], checks: { ...inFlight.checks, [node]: checks } };
    await this.save(state);
  }

  /**
   * After a batch's gates: its failures counted once each across the rollout, the batch done, and the
   * breaker asked when it brought new failures. Returns the halt (or pause) when the breaker tripped.
   */
  async batchGated(cluster: string, batch: number, failedNow: readonly FailedNode[], last: boolean): Promise<RunCondition | undefined> {
    const state = this.states.get(cluster)!;
    const intents = this.intentsOf(cluster);
    // A node that failed earlier in this rollout (before a resume) is not a new failure.
    const newly = failedNow.filter((f) => !state.failed.some((x) => x.node === f.node));
    state.failed.push(...newly);
    for (const f of newly) if (f.rollback?.outcome === 'rolled-back' && !state.rolledBack.includes(f.node)) state.rolledBack.push(f.node);
    state.budget.used = state.failed.length;
    delete state.inFlight;
    state.batchesDone.push(batch);
    const decision =
      newly.length === 0
        ? ({ state: 'allowed' } as const)
        : circuitBreaker({
            cluster,
            failedNodes: state.failed.map((f) => f.node),
            failureBudget: state.budget.allowed,
            remainingBatches: last ? 0 : intents.batches.length - (batch - (this.offsets.get(cluster) ?? 0)),
            onFailure: intents.onFailure,
          });
    if (decision.state === 'tripped') {
      Object.assign(state, { status: intents.onFailure === 'pause' ? 'paused' : 'halted', reason: decision.reason });
      await this.save(state);
      return { type: 'RolloutHalted', reason: decision.reason, message: `${decision.message} [${state.failed.map(failedNodeLine).join('; ')}]`, cluster };
    }
    if (last) {
      state.status = 'completed';
      delete state.reason;
    }
    await this.save(state);
    return undefined;
  }

  /**
   * After a run whose every node converged: the rollout of each cluster this plan changed without batches
   * (nothing disruptive: a first install, a config that restarts nothing) completed, so the revision is the
   * cluster's last good one, what a later rollback goes back to (ADR 0026). Without this a cluster's first
   * disruptive rollout after its install would have nothing to roll back to.
   */
  async completeUnbatched(): Promise<void> {
    for (const intents of this.plan.rollout) {
      const state = this.states.get(intents.cluster);
      if (intents.batches.length > 0 || intents.held.length > 0 || state?.status !== 'running') continue;
      state.status = 'completed';
      delete state.reason;
      await this.save(state);
    }
  }

  /**
   * The check before the plan's batch at `index` (batch-start.ts, ADR 0020) found members down now, so the
   * batch would take more down than maxUnavailable allows: the rollout pauses as batchStarting pauses it.
   */
  async pauseForDown(cluster: string, index: number, at: { down: ReadonlyMap<string, string>; goingDown: readonly string[] }): Promise<RunCondition> {
    const intents = this.intentsOf(cluster);
    const state = this.states.get(cluster)!;
    Object.assign(state, { status: 'paused', reason: 'MaxUnavailableReached' });
    await this.save(state);
    const why = [...at.down].map(([n, reason]) => `${n} (${reason})`).join('; ');
    return {
      type: 'RolloutPaused',
      reason: 'MaxUnavailableReached',
      message:
        `rollout of cluster ${cluster} paused before batch ${this.batchNumber(cluster, index)} (${list(at.goingDown)}): ${at.down.size} member(s) down now [${why}], ` +
        `the batch would make ${at.down.size + at.goingDown.length}, maxUnavailable is ${intents.maxUnavailable}; resume when the members are healthy again`,
      cluster,
    };
  }

  /**
   * Before the plan's batch at `index` starts: an operator's pause or abort is taken up, and a batch that
   * would take more members down than maxUnavailable allows (counting those this rollout failed) waits.
   */
  async batchStarting(cluster: string, index: number): Promise<RunCondition | undefined> {
    const intents = this.intentsOf(cluster);
    const batch = intents.batches[index] as BatchIntent;
    const number = this.batchNumber(cluster, index);
    let request: StoredRollout['request'] = null;
    const stored = await this.store.changeRolloutState(cluster, (current) => {
      request = current?.request ?? null;
      return request === null ? undefined : { request: null };
    });
    const state = this.states.get(cluster)!;
    if (stored && stored.state.recovered.length > state.recovered.length) state.recovered = stored.state.recovered;
    if (request !== null) {
      Object.assign(state, request === 'pause' ? { status: 'paused', reason: 'PausedByOperator' } : { status: 'aborted', reason: 'AbortedByOperator' });
      await this.save(state);
      return stoppedCondition(state);
    }
    const down = new Set([...intents.unavailable, ...downByRollout(state)]);
    const wouldBeDown = new Set([...down, ...batch.nodes]);
    if (wouldBeDown.size <= intents.maxUnavailable) return undefined;
    Object.assign(state, { status: 'paused', reason: 'MaxUnavailableReached' });
    await this.save(state);
    return {
      type: 'RolloutPaused',
      reason: 'MaxUnavailableReached',
      message:
        `rollout of cluster ${cluster} paused before batch ${number} (${list(batch.nodes)}): ${down.size} member(s) down (${list([...down].sort())}), ` +
        `the batch would make ${wouldBeDown.size}, maxUnavailable is ${intents.maxUnavailable}; resume when the members are healthy again`,
      cluster,
    };
  }
}
