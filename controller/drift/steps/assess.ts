/**
 * The drift assessment as a reconcile step: the plan against the baseline, with the site's ledger, the
 * policy in the baseline's clusters and the correction permit, assessed (assess-drift.ts, pure), and the
 * ledger brought up to date in one transaction.
 */
import { siteIdOf } from '../../spec/spec.js';
import { required } from '../../runtime/reconcile-state.js';
import { proceed } from '../../runtime/reconcile-step.js';
import { assessDrift } from '../assess-drift.js';
import { driftModes } from '../drift-policy.js';
import { FIGHTING_WINDOW_MS } from '../drift-report.js';
import type { DriftStep } from '../drift-deps.js';

export const assessDriftStep: DriftStep = {
  name: 'assess-drift',
  async run(state, deps) {
    const spec = required(state.spec, 'a loaded spec', 'assess-drift');
    const plan = required(state.plan, 'a plan', 'assess-drift');
    const inventory = required(state.inventory, 'an inventory', 'assess-drift');
    const { ledger } = await deps.driftStore.get(siteIdOf(spec));
    const now = deps.clock.now();
    const assessment = assessDrift({
      site: siteIdOf(spec),
      revision: plan.revision.commit,
      baseline: state.baseline ?? 'current',
      now,
      changes: plan.changes,
      modeOf: driftModes(spec),
      open: await ledger.open(),
      corrections: await ledger.corrections(new Date(now.getTime() - FIGHTING_WINDOW_MS).toISOString()),
      unobserved: Object.entries(inventory.nodes).filter(([, n]) => !n.reachable).map(([name]) => name),
      permit: deps.permit,
    });
    await ledger.update({ upsert: assessment.upsert, resolve: assessment.resolve });
    return proceed({ ...state, assessment });
  },
};
