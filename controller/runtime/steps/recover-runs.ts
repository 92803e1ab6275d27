/**
 * Runs a dead process left `running` are marked interrupted, under the site lock, before anything is
 * observed: the nodes are re-observed and re-planned, so nothing is lost or repeated.
 */
import { required } from '../reconcile-state.js';
import { proceed } from '../reconcile-step.js';
import type { RuntimeStep } from '../runtime-deps.js';

export const recoverRuns: RuntimeStep = {
  name: 'recover-runs',
  async run(state, deps) {
    const { store } = required(state.held, 'the apply locks', 'recover-runs');
    deps.onEvent({ type: 'runs-interrupted', runs: await store.recoverInterruptedRuns() });
    return proceed(state);
  },
};
