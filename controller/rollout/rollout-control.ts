/**
 * What an operator may do to a cluster's rollout (`underlay rollout pause|resume|abort`), as a pure decision
 * on its stored state: what to write, and what to tell the operator; or why not. A running rollout is asked
 * (the apply running it acts before its next batch, or the next apply as it takes it up); a stopped one is
 * changed at once, since no apply runs it. Abort leaves every node as it is, and says so.
 */
import type { RolloutState } from './rollout-state.js';

export type RolloutRequest = 'pause' | 'abort';

export type RolloutAction = { action: 'pause' } | { action: 'abort' } | { action: 'resume'; recovered?: readonly string[] };

export interface StoredRolloutView {
  state: RolloutState;
  request: RolloutRequest | null;
}

export type ControlDecision =
  | { ok: true; write: { state?: RolloutState; request?: RolloutRequest | null }; message: string }
  | { ok: false; message: string };

const list = (items: readonly string[]): string => (items.length === 0 ? 'none' : items.join(', '));

/** Where the nodes are, as abort leaves them. */
export function nodesAsTheyAre(state: RolloutState): string {
  const failed = state.failed.map((f) => f.node).filter((n) => !state.rolledBack.includes(n) && !state.recovered.includes(n));
  const inFlight = state.inFlight?.changed.filter((n) => !failed.includes(n)) ?? [];
  return (
    `nodes left as they are: the nodes of batch(es) ${list(state.batchesDone.map(String))} are at ${state.revision} (failed: ${list(failed)}; rolled back: ${list(state.rolledBack)}); ` +
    `changed in batch ${state.inFlight?.batch ?? '-'} before it was gated: ${list(inFlight)}; the nodes of later batches were not touched`
  );
}

function pause(stored: StoredRolloutView, name: string): ControlDecision {
  const { state } = stored;
  if (state.status !== 'running') return { ok: false, message: `${name} is ${state.status}: there is nothing to pause` };
  if (stored.request !== null) return { ok: false, message: `${name}: ${stored.request} was already asked for` };
  return { ok: true, write: { request: 'pause' }, message: `${name}: pause asked for; the apply running it pauses before its next batch (or the next apply, as it takes it up)` };
}

function abort(stored: StoredRolloutView, name: string): ControlDecision {
  const { state } = stored;
  if (state.status === 'running') return { ok: true, write: { request: 'abort' }, message: `${name}: abort asked for; the apply running it stops before its next batch and leaves the nodes as they are` };
  if (state.status !== 'paused' && state.status !== 'halted') return { ok: false, message: `${name} is ${state.status}: there is nothing to abort` };
  const next: RolloutState = { ...state, status: 'aborted', reason: 'AbortedByOperator' };
  return { ok: true, write: { state: next, request: null }, message: `${name} aborted; ${nodesAsTheyAre(next)}` };
}

function resume(stored: StoredRolloutView, name: string, recovered: readonly string[]): ControlDecision {
  const { state } = stored;
  const failed = state.failed.map((f) => f.node);
  const unknown = recovered.filter((n) => !failed.includes(n));
  if (unknown.length > 0) return { ok: false, message: `${name}: --recovered names node(s) that did not fail in it: ${unknown.join(', ')} (failed: ${list(failed)})` };
  if (state.status === 'running' && stored.request !== null) return { ok: true, write: { request: null }, message: `${name}: the ${stored.request} asked for is withdrawn; it goes on` };
  if (state.status === 'running' || state.status === 'completed') return { ok: false, message: `${name} is ${state.status}: there is nothing to resume` };
  const next: RolloutState = { ...state, status: 'running', recovered: [...new Set([...state.recovered, ...recovered])].sort() };
  delete next.reason;
  const healthy = recovered.length > 0 ? `; healthy again: ${recovered.join(', ')}` : '';
  const budget = `failure budget ${state.budget.used} of ${state.budget.allowed} used`;
  return { ok: true, write: { state: next, request: null }, message: `${name} resumed after batch(es) ${list(state.batchesDone.map(String))}${healthy}; ${budget}; the next apply carries on` };
}

export function controlRollout(stored: StoredRolloutView | null, cluster: string, action: RolloutAction): ControlDecision {
  if (stored === null) return { ok: false, message: `cluster ${cluster} has no rollout on record` };
  const name = `rollout of cluster ${cluster} at ${stored.state.revision}`;
  if (action.action === 'pause') return pause(stored, name);
  if (action.action === 'abort') return abort(stored, name);
  return resume(stored, name, action.recovered ?? []);
}
