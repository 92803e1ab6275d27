/**
 * Correction: the resources the assessment marked `correct` re-applied, as a run of their own against the
 * baseline revision (plan/plan-part.ts), under the apply locks this step runs within. Each correction is
 * recorded: a success counts towards fighting, a failure sets when the next may be tried (backoff.ts).
 */
import type { ChangeSet, SkipCause } from '../../apply/change-set.js';
import { backoff, type BackoffPolicy } from '../../runtime/backoff.js';
import { resultOf, runSteps } from '../../runtime/reconcile.js';
import { required } from '../../runtime/reconcile-state.js';
import { proceed } from '../../runtime/reconcile-step.js';
import type { RuntimeStep } from '../../runtime/runtime-deps.js';
import { apply } from '../../runtime/steps/apply.js';
import { decide } from '../../runtime/steps/decide.js';
import { siteIdOf } from '../../spec/spec.js';
import { planPart } from '../../plan/plan-part.js';
import type { DriftCorrection } from '../../store/drift-ledger.js';
import { FIGHTING_WINDOW_MS, type DriftCorrectionRun } from '../drift-report.js';
import type { DriftDeps, DriftState, DriftStep } from '../drift-deps.js';

/**
 * After a failed correction the next waits 30 s to 1 min, doubling up to an hour: drift is checked every few
 * minutes, and a correction that failed (a read-only file system, a node refusing) rarely heals in seconds.
 */
export const CORRECTION_BACKOFF: BackoffPolicy = { baseMs: 60_000, maxMs: 60 * 60_000 };

const UNTRIED: ReadonlySet<SkipCause> = new Set(['rollout-halted', 'rollout-held', 'stopping']);

/** Corrections are remembered for a day: long past the fighting window and any backoff. */
const FORGET_AFTER_MS = 24 * 60 * 60_000;

async function record(ids: readonly string[], changeSet: ChangeSet | undefined, state: DriftState, deps: DriftDeps): Promise<{ corrected: string[]; failed: string[] }> {
  const { ledger } = await deps.driftStore.get(siteIdOf(required(state.spec, 'a loaded spec', 'correct-drift')));
  const now = deps.clock.now();
  const earlier = await ledger.corrections(new Date(now.getTime() - FIGHTING_WINDOW_MS).toISOString());
  const applied = new Set((changeSet?.results ?? []).filter((r) => r.outcome === 'applied').map((r) => r.id));
  // Not tried: the rollout held it back (its breaker halted, maxUnavailable used up) or the controller is
  // stopping. No failure of its own, so no backoff: once the rollout is resumed, the next check corrects it.
  const untried = new Set((changeSet?.results ?? []).filter((r) => r.outcome === 'skipped' && UNTRIED.has(r.cause)).map((r) => r.id));
  const entries: DriftCorrection[] = ids.filter((id) => !untried.has(id)).map((id) => {
    if (applied.has(id)) return { id, at: now.toISOString(), outcome: 'succeeded', retryAt: null };
    const failures = earlier.filter((c) => c.id === id && c.outcome === 'failed').length;
    return { id, at: now.toISOString(), outcome: 'failed', retryAt: new Date(now.getTime() + backoff(failures, deps.random, CORRECTION_BACKOFF)).toISOString() };
  });
  await ledger.recordCorrections(entries, new Date(now.getTime() - FORGET_AFTER_MS).toISOString());
  return { corrected: ids.filter((id) => applied.has(id)), failed: ids.filter((id) => !applied.has(id) && !untried.has(id)) };
}

export const correctDrift: DriftStep = {
  name: 'correct-drift',
  async run(state, deps) {
    const assessment = required(state.assessment, 'a drift assessment', 'correct-drift');
    const ids = assessment.report.toCorrect.map((r) => r.id);
    if (ids.length === 0) return proceed(state);
    const desired = required(state.desired, 'a resolved Desired', 'correct-drift');
    const site = { clusters: desired.clusters, nodes: desired.nodes, inventory: required(state.inventory, 'an inventory', 'correct-drift') };
    const plan = planPart(required(state.plan, 'a plan', 'correct-drift'), site, new Set(ids));
    const steps: RuntimeStep[] = [decide(), apply];
    const inner = await runSteps(steps, { ...state, plan }, deps);
    const changeSet = inner.state.changeSet;
    const outcome = await record(ids, changeSet, state, deps);
    const halted = (changeSet?.conditions ?? []).filter((c) => c.type === 'RolloutHalted').map((c) => ({ cluster: c.cluster ?? '', reason: c.reason, message: c.message }));
    const correction: DriftCorrectionRun = { runId: changeSet?.runId ?? 0, status: changeSet?.status ?? 'not-run', ...outcome, clusters: plan.rollout.map((r) => r.cluster), halted };
    return resultOf<DriftState>(inner.outcome, { ...state, ...inner.state, correction });
  },
};
