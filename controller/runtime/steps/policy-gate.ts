/**
 * The controller's apply policy between plan and apply (docs/controller.md): whether this plan may be
 * applied now. The driver says how (auto, approve with the approved plan hash, change windows); a plan with
 * no changes always passes, since applying it changes nothing and records the nodes as converged.
 */
import type { Plan } from '../../model/plan.js';
import { required } from '../reconcile-state.js';
import { proceed } from '../reconcile-step.js';
import type { RuntimeStep } from '../runtime-deps.js';

export type GateDecision =
  | { allow: true }
  /** Not now, try again after `afterMs` (a change window opens); null: not until something changes (an approval). */
  | { allow: false; code: string; message: string; afterMs: number | null };

export function policyGate(decide: (plan: Plan) => GateDecision): RuntimeStep {
  return {
    name: 'policy-gate',
    async run(state) {
      const plan = required(state.plan, 'a plan', 'policy-gate');
      if (plan.changes.length === 0) return proceed(state);
      const decision = decide(plan);
      if (decision.allow) return proceed(state);
      const { code, message, afterMs } = decision;
      return afterMs === null ? { type: 'stall', code, message, state } : { type: 'wait', code, message, afterMs, state };
    },
  };
}
