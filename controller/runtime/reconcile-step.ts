/**
 * A reconcile is a list of small steps over one shared state (Flux's reconcilers work this way). Each step
 * says how the reconcile goes on, and the four answers are what a driver needs to decide what next:
 * - continue: with the state as the step leaves it, to the next step;
 * - stall: stop, and do not retry until something changes (a user error: the revision is invalid, a saved
 *   plan is stale); a Stalled condition with this CamelCase code;
 * - wait: stop, and try again after `afterMs` (another holder has the site; not an error);
 * - fail: stop with an error, and back off (backoff.ts) before trying again.
 * Steps never retry themselves: the driver (a CLI command, the controller loop) decides on the answer.
 */
export type StepResult<S> =
  | { type: 'continue'; state: S }
  | (Stopped & ({ type: 'stall'; code: string; message: string } | { type: 'wait'; afterMs: number; code: string; message: string } | { type: 'fail'; error: unknown }) & { state?: S });

/** A step that runs others (apply-locks.ts) names the inner step that stopped. */
interface Stopped {
  step?: string;
}

export interface ReconcileStep<S, D> {
  /** Kebab-case, as outcomes and events name the step. */
  readonly name: string;
  run(state: S, deps: D): Promise<StepResult<S>>;
}

/** How a reconcile ended: every step continued (`done`), or the one that did not, with its answer. */
export type ReconcileOutcome =
  | { type: 'done' }
  | { type: 'stall'; step: string; code: string; message: string }
  | { type: 'wait'; step: string; afterMs: number; code: string; message: string }
  | { type: 'fail'; step: string; error: unknown };

export const proceed = <S>(state: S): StepResult<S> => ({ type: 'continue', state });
