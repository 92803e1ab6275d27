/**
 * The revision drift is measured against: the last applied one (the newest run that completed), so an
 * unapplied commit is never reported as drift; the current one under plan-only, or before anything was
 * applied. Runs after fetch-revision, which read the current one; the site id is the current revision's.
 */
import { loadSpec } from '../../load/load-spec.js';
import { siteIdOf } from '../../spec/spec.js';
import { required } from '../../runtime/reconcile-state.js';
import { proceed } from '../../runtime/reconcile-step.js';
import type { DriftReport } from '../drift-report.js';
import type { DriftStep } from '../drift-deps.js';

export function driftBaseline(baseline: DriftReport['baseline']): DriftStep {
  return {
    name: 'drift-baseline',
    async run(state, deps) {
      const current = required(state.revision, 'a revision', 'drift-baseline');
      if (baseline === 'current') return proceed({ ...state, baseline });
      const spec = loadSpec(current).spec;
      if (!spec) return { type: 'stall', code: 'RevisionInvalid', message: 'the current revision does not load, so its site is unknown (see validate)' };
      const commit = await (await deps.driftStore.get(siteIdOf(spec))).lastAppliedCommit();
      if (commit === null) return proceed({ ...state, baseline: 'current' });
      const revision = commit === current.commit ? current : await deps.revisionAt(commit);
      return proceed({ ...state, revision, baseline: 'last-applied' });
    },
  };
}
