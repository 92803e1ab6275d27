/** Load: the revision's documents parsed and checked into a Spec. An invalid revision stalls: only a new commit can fix it. */
import { loadSpec } from '../../load/load-spec.js';
import { sortDiagnostics } from '../../spec/diagnostic.js';
import { required } from '../reconcile-state.js';
import { proceed } from '../reconcile-step.js';
import type { RuntimeStep } from '../runtime-deps.js';

export const load: RuntimeStep = {
  name: 'load',
  async run(state) {
    const loaded = loadSpec(required(state.revision, 'a revision', 'load'));
    const found = { ...state, loadDiagnostics: loaded.diagnostics, diagnostics: sortDiagnostics(loaded.diagnostics) };
    if (!loaded.spec) return { type: 'stall', code: 'RevisionInvalid', message: 'the revision does not load (see its diagnostics)', state: found };
    return proceed({ ...found, spec: loaded.spec });
  },
};
