/**
 * Decide whether the plan may be applied. Today: a saved plan is applied only if no node it covers changed
 * since it was made (a fresh plan always may). Policy, approval and drift decisions join here later.
 */
import type { Inventory } from '../../model/observed.js';
import type { Plan } from '../../model/plan.js';
import { nodeInventoryHashes } from '../../plan/inventory-hash.js';
import { required } from '../reconcile-state.js';
import { proceed } from '../reconcile-step.js';
import type { RuntimeStep } from '../runtime-deps.js';

/** Nodes of the plan whose part of the inventory is no longer what the plan was made against. */
export function staleNodes(plan: Plan, inventory: Inventory): string[] {
  const now = nodeInventoryHashes(inventory);
  const planned = new Set(plan.changes.filter((c) => c.target.type === 'node').map((c) => c.target.name).filter((n) => n in plan.nodeInventoryHashes || n in inventory.nodes));
  return [...planned].filter((n) => now[n] !== plan.nodeInventoryHashes[n]).sort();
}

/** `saved`: apply exactly this plan (`apply --plan`); without it, the plan the plan step just made. */
export function decide(saved?: Plan): RuntimeStep {
  return {
    name: 'decide',
    async run(state, deps) {
      let chosen: Plan;
      if (saved) {
        const stale = staleNodes(saved, required(state.inventory, 'an inventory', 'decide'));
        if (stale.length > 0) return { type: 'stall', code: 'PlanStale', message: `the plan is stale: these nodes changed since it was made: ${stale.join(', ')}; plan again` };
        chosen = saved;
      } else {
        chosen = required(state.plan, 'a plan', 'decide');
      }
      deps.onEvent({ type: 'plan-decided', plan: chosen });
      return proceed({ ...state, plan: chosen });
    },
  };
}
