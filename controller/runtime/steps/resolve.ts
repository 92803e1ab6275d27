/**
 * Resolve: the spec against what is known of the nodes so far. Before an observation, steps reading facts
 * only the nodes know are left pending (observe probes for them); after one, resolve runs again with the
 * facts, and that is the Desired state plan and apply use.
 */
import { resolveLoaded } from '../../pipeline/plan-revision.js';
import { hasErrors } from '../../spec/diagnostic.js';
import { required, type ReconcileState } from '../reconcile-state.js';
import { proceed } from '../reconcile-step.js';
import type { RuntimeStep } from '../runtime-deps.js';

export const resolve: RuntimeStep = {
  name: 'resolve',
  async run(state, deps) {
    const spec = required(state.spec, 'a loaded spec', 'resolve');
    const resolved = resolveLoaded(spec, state.loadDiagnostics, state.inventory);
    const observed = state.inventory !== undefined;
    const next: ReconcileState = { ...state, diagnostics: resolved.diagnostics, pendingSteps: resolved.pendingSteps, ...(resolved.desired ? { desired: resolved.desired } : {}) };
    if (!resolved.desired) delete next.desired;
    const waitsForFacts = !observed && resolved.pendingSteps.length > 0;
    const stalls = hasErrors(resolved.diagnostics) || (!resolved.desired && !waitsForFacts);
    deps.onEvent({ type: 'resolved', final: observed || stalls, diagnostics: resolved.diagnostics });
    if (stalls) return { type: 'stall', code: 'ResolveFailed', message: 'the revision does not resolve (see its diagnostics)', state: next };
    return proceed(next);
  },
};
