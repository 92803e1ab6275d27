/** Plan: Desired × Inventory -> Plan, pure (controller/plan/make-plan.ts). */
import type { Plan } from '../../model/plan.js';
import { makePlan } from '../../plan/make-plan.js';
import { required } from '../reconcile-state.js';
import { proceed } from '../reconcile-step.js';
import type { RuntimeStep } from '../runtime-deps.js';

/** `observation: 'none'`: the inventory was assumed empty, not observed, and the plan says so. */
export function plan(options: { observation?: Plan['observation'] } = {}): RuntimeStep {
  return {
    name: 'plan',
    async run(state, deps) {
      const desired = required(state.desired, 'a resolved Desired', 'plan');
      const inventory = required(state.inventory, 'an inventory', 'plan');
      return proceed({ ...state, plan: makePlan(desired, inventory, { registry: deps.registry, ...options }) });
    },
  };
}
