/**
 * A site's apply policy, decided at one moment (docs/controller.md, ADR 0022): `auto` applies every new
 * revision; `plan-only` plans and reports; `approve` applies only the plan whose hash an operator approved,
 * and refuses an approval of any other plan (a stale one: the revision or the nodes moved since). Change
 * windows close applying under any policy. Pure: the time and the approval are arguments.
 */
import type { Plan } from '../model/plan.js';
import type { GateDecision } from '../runtime/steps/policy-gate.js';
import { changeWindowAt } from './change-windows.js';
import type { SiteConfig } from './controller-config.js';

export interface PolicyInput {
  apply: SiteConfig['apply'];
  approvedPlanHash: string | null;
  now: Date;
}

/** Whether this reconcile may take the apply locks at all: if not, it only plans (and the gate says why). */
export function mayApply(input: PolicyInput): boolean {
  if (input.apply.policy === 'plan-only') return false;
  if (input.apply.policy === 'approve' && input.approvedPlanHash === null) return false;
  return changeWindowAt(input.apply.windows, input.now).open;
}

export function decidePlan(input: PolicyInput, plan: Plan): GateDecision {
  const { policy, windows } = input.apply;
  if (policy === 'plan-only') return { allow: false, code: 'PlanOnly', message: `plan ${plan.hash} is reported, not applied (policy plan-only)`, afterMs: null };
  const window = changeWindowAt(windows, input.now);
  if (!window.open) {
    const afterMs = window.until ? Math.max(1000, window.until.getTime() - input.now.getTime()) : null;
    return { allow: false, code: 'ChangeWindowClosed', message: `plan ${plan.hash} waits: ${window.reason}`, afterMs };
  }
  if (policy === 'auto' || input.approvedPlanHash === plan.hash) return { allow: true };
  if (input.approvedPlanHash === null) return { allow: false, code: 'AwaitingApproval', message: `plan ${plan.hash} awaits approval (underlay approve --site SITE --plan-hash ${plan.hash})`, afterMs: null };
  return {
    allow: false,
    code: 'ApprovalStale',
    message: `the approved plan ${input.approvedPlanHash} is not the plan now (${plan.hash}): the revision or the nodes changed since; approve the new plan`,
    afterMs: null,
  };
}
