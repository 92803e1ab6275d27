/**
 * A controller's reconcile applies what Git and time ask for, and leaves drift to the drift policy: the plan's
 * drift changes are taken out before the policy gate, so an approval names the plan that is applied
 * (controller/plan/hold-drift.ts, ADR 0028). `underlay apply` has no such step: an operator who runs it
 * converges everything.
 */
import { holdDrift } from '../../plan/hold-drift.js';
import { required } from '../reconcile-state.js';
import { proceed } from '../reconcile-step.js';
import type { RuntimeStep } from '../runtime-deps.js';

export const holdDriftStep: RuntimeStep = {
  name: 'hold-drift',
  async run(state, deps) {
    const desired = required(state.desired, 'a resolved Desired', 'hold-drift');
    const inventory = required(state.inventory, 'an inventory', 'hold-drift');
    const { plan, held } = holdDrift(required(state.plan, 'a plan', 'hold-drift'), { ...desired, inventory });
    if (held.length > 0) deps.onEvent({ type: 'drift-held', changes: held });
    return proceed({ ...state, plan, heldDrift: held });
  },
};
