/**
 * The reconcile runtime: a reconcile runs its steps in order until one does not continue, then writes its
 * status once, whatever the steps did. Every driver (the CLI's plan, apply and inventory; the controller
 * loop, webhooks) is a list of steps handed to `runReconcile`, so none sequences the stages by hand.
 */
import type { KeyedQueue } from '../model/keyed-queue.js';
import type { ReconcileOutcome, ReconcileStep, StepResult } from './reconcile-step.js';
import type { StatusWriter } from './write-status.js';

export interface Reconciled<S> {
  outcome: ReconcileOutcome;
  /** The state as the last step that ran left it (a step that stopped may hand back what it found). */
  state: S;
}

function outcomeOf<S>(name: string, result: Exclude<StepResult<S>, { type: 'continue' }>): ReconcileOutcome {
  const step = result.step ?? name;
  if (result.type === 'stall') return { type: 'stall', step, code: result.code, message: result.message };
  if (result.type === 'wait') return { type: 'wait', step, afterMs: result.afterMs, code: result.code, message: result.message };
  return { type: 'fail', step, error: result.error };
}

/**
 * The steps in order, from `state`, until one does not continue. A step that throws fails the reconcile with
 * what it threw, so a driver sees every error as a `fail` outcome. Steps that hold something across others
 * (the apply locks) run their inner steps through this too.
 */
export async function runSteps<S, D>(steps: readonly ReconcileStep<S, D>[], state: S, deps: D): Promise<Reconciled<S>> {
  let current = state;
  for (const step of steps) {
    let result: StepResult<S>;
    try {
      result = await step.run(current, deps);
    } catch (error) {
      return { outcome: { type: 'fail', step: step.name, error }, state: current };
    }
    if (result.type !== 'continue') return { outcome: outcomeOf(step.name, result), state: result.state ?? current };
    current = result.state;
  }
  return { outcome: { type: 'done' }, state: current };
}

/** An inner list's outcome as its enclosing step's result, naming the inner step that stopped. */
export function resultOf<S>(outcome: ReconcileOutcome, state: S): StepResult<S> {
  if (outcome.type === 'done') return { type: 'continue', state };
  const { step, ...rest } = outcome;
  return { ...rest, step, state };
}

export interface ReconcileScope<S> {
  /** What the reconcile covers, the key it is serialised by: a site id, or for a CLI command its repository. */
  site: string;
  state: S;
}

export interface ReconcileDeps<S> {
  /** One reconcile of a site at a time in this process (across processes the site lock does it, ADR 0008). */
  queue: KeyedQueue;
  status: StatusWriter<S>;
}

export function runReconcile<S, D extends ReconcileDeps<S>>(scope: ReconcileScope<S>, steps: readonly ReconcileStep<S, D>[], deps: D): Promise<Reconciled<S>> {
  return deps.queue.run(`site:${scope.site}`, async () => {
    const reconciled = await runSteps(steps, scope.state, deps);
    await deps.status.write(scope.site, reconciled);
    return reconciled;
  });
}
