/**
 * Status is written once per reconcile, at its end, from its outcome and final state: never by the steps,
 * so a reconcile that stops half-way still says so, and one that runs to the end says it once.
 */
import type { Reconciled } from './reconcile.js';

export interface StatusWriter<S> {
  write(site: string, reconciled: Reconciled<S>): Promise<void>;
}

/**
 * For the CLI commands: their status is their output and exit code, and what apply did is in its run and
 * journal (RunWriter). The controller loop's writer sets the site's conditions (Ready, Stalled) instead.
 */
export const cliStatus: StatusWriter<unknown> = { write: () => Promise.resolve() };
