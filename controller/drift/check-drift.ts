/**
 * One drift check of a site, as the CLI's `underlay drift` and the controller (on its schedule and after
 * every apply) run it: the baseline revision loaded, resolved, the nodes observed and planned against,
 * the plan's changes assessed and recorded. With `correct`, the whole check runs under the apply locks (the
 * plan a correction carries out must be made by the only writer) and the resources to correct are applied.
 */
import { runReconcile } from '../runtime/reconcile.js';
import { initialState } from '../runtime/reconcile-state.js';
import type { ReconcileOutcome } from '../runtime/reconcile-step.js';
import { fetchRevision } from '../runtime/steps/fetch-revision.js';
import { load } from '../runtime/steps/load.js';
import { observe } from '../runtime/steps/observe.js';
import { plan } from '../runtime/steps/plan.js';
import { recoverRuns } from '../runtime/steps/recover-runs.js';
import { resolve } from '../runtime/steps/resolve.js';
import { underApplyLocks, type ApplyLockOptions } from '../runtime/steps/apply-locks.js';
import type { DriftDeps, DriftState, DriftStep } from './drift-deps.js';
import type { DriftReport } from './drift-report.js';
import { driftBaseline } from './steps/drift-baseline.js';
import { assessDriftStep } from './steps/assess.js';
import { correctDrift } from './steps/correct.js';

export interface DriftCheckOptions {
  /** The key the check is serialised by with the site's other reconciles (the site id, for the CLI its repository). */
  site: string;
  /** `current` under a plan-only apply policy: drift from the ref, as nothing is applied. */
  baseline: DriftReport['baseline'];
  /** Carry out the corrections the policy calls for, under these locks; absent: report only. */
  correct?: ApplyLockOptions;
}

export function driftSteps(options: DriftCheckOptions): DriftStep[] {
  const head: DriftStep[] = [fetchRevision, driftBaseline(options.baseline), load];
  const observed: DriftStep[] = [resolve, observe, resolve, plan(), assessDriftStep];
  if (!options.correct) return [...head, ...observed];
  return [...head, underApplyLocks(options.correct, [recoverRuns, ...observed, correctDrift])];
}

function reportOf(site: string, state: DriftState, outcome: ReconcileOutcome, checkedAt: string): DriftReport {
  const a = state.assessment;
  if (!a) {
    const revision = state.revision?.commit ?? '';
    return { site, revision, baseline: state.baseline ?? 'current', checkedAt, drifted: [], resolved: [], fighting: [], toCorrect: [], ignored: 0, unobserved: [], outcome };
  }
  return { ...a.report, ...(state.correction ? { correction: state.correction } : {}), outcome };
}

/** `adapt`: the caller's change to the steps (a rehearsal site's observation read from its snapshot). */
export async function checkDrift(deps: DriftDeps, check: DriftCheckOptions, adapt: (steps: DriftStep[]) => DriftStep[] = (steps) => steps): Promise<DriftReport> {
  const checkedAt = deps.clock.now().toISOString();
  // Report-only (approve, a deny window): nothing will be applied, so the locks are not taken.
  const steps = adapt(driftSteps(deps.permit.allowed ? check : { site: check.site, baseline: check.baseline }));
  const reconciled = await runReconcile<DriftState, DriftDeps>({ site: check.site, state: initialState() }, steps, deps);
  return reportOf(check.site, reconciled.state, reconciled.outcome, checkedAt);
}
