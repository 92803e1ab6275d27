/**
 * What a rollout persists between processes: enough to resume at the right batch without re-running one that
 * passed, with the failure budget used so far (it counts across the whole rollout, so a restart must not
 * reset it). Plain JSON, so the store keeps it as it is.
 */
import type { Change } from '../model/change.js';

export type RolloutStatus = 'running' | 'paused' | 'halted' | 'aborted' | 'completed';

export interface GateFailure {
  gate: string;
  result: 'fail' | 'timeout';
  /** Capped at 4 KiB (gate-output.ts). */
  output: string;
}

/** What rollback (ADR 0026) did with a failed node: back on the last good revision and healthy, failed its gates there, or not tried. */
export interface NodeRollback {
  outcome: 'rolled-back' | 'failed' | 'not-rolled-back';
  /** The revision it went back to; absent when there was none (a first rollout). */
  revision?: string;
  message: string;
}

export interface FailedNode {
  node: string;
  batch: number;
  gates: GateFailure[];
  /** Only under `rollback: failed-nodes`. */
  rollback?: NodeRollback;
}

export interface RolloutState {
  cluster: string;
  revision: string;
  status: RolloutStatus;
  /** Why the rollout is paused or halted: a stable CamelCase reason. */
  reason?: string;
  /**
   * Batches whose gates ran to the end, by number: passed, or tripped the breaker (their nodes are as the
   * gates and rollback left them). A resume starts after the last one and never runs one again.
   */
  batchesDone: number[];
  /**
   * The batch that started and has not passed yet, with the nodes already changed in it; `checks`: per node,
   * what its gate looks at (its disruptive changes, without content), so a resume gates a node it changed.
   */
  inFlight?: { batch: number; changed: string[]; checks?: Record<string, Change[]> };
  /** Every node that failed since the rollout started, once each. */
  failed: FailedNode[];
  budget: { used: number; allowed: number };
  /** Failed nodes that are back on the last good revision and healthy. */
  rolledBack: string[];
  /** Failed nodes an operator said are healthy again (on resume). */
  recovered: string[];
}

export function startRolloutState(at: { cluster: string; revision: string; failureBudget: number }): RolloutState {
  return {
    cluster: at.cluster,
    revision: at.revision,
    status: 'running',
    batchesDone: [],
    failed: [],
    budget: { used: 0, allowed: at.failureBudget },
    rolledBack: [],
    recovered: [],
  };
}

/** The batch to run next: the one in flight, else the one after the last done. */
export function nextBatch(state: RolloutState): number {
  return state.inFlight?.batch ?? Math.max(0, ...state.batchesDone) + 1;
}

/** Members down now through this rollout: failed and neither rolled back nor recovered. */
export function downByRollout(state: RolloutState): string[] {
  return state.failed.map((f) => f.node).filter((n) => !state.rolledBack.includes(n) && !state.recovered.includes(n));
}

/** One failed node as an operator reads it: each gate that failed on it, with its (capped) output. */
export const failedNodeLine = (f: FailedNode): string =>
  `${f.node}: ${f.gates.map((g) => `${g.gate} ${g.result === 'timeout' ? 'timed out' : 'failed'}${g.output === '' ? '' : ` ${JSON.stringify(g.output)}`}`).join(', ')}` +
  (f.rollback ? ` (${f.rollback.message})` : '');
