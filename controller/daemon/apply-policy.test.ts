import test from 'ava';
import type { Plan } from '../model/plan.js';
import { decidePlan, mayApply, type PolicyInput } from './apply-policy.js';

const plan = { hash: 'h-now', changes: [{}] } as unknown as Plan;
const at = new Date('2025-03-01T12:00:00Z');
const input = (apply: Partial<PolicyInput['apply']>, approvedPlanHash: string | null = null): PolicyInput => ({
  apply: { policy: 'auto', windows: [], ...apply },
  approvedPlanHash,
  now: at,
});

test('auto applies; plan-only never does', (t) => {
  t.true(mayApply(input({})));
  t.deepEqual(decidePlan(input({}), plan), { allow: true });
  t.false(mayApply(input({ policy: 'plan-only' })));
  t.like(decidePlan(input({ policy: 'plan-only' }), plan), { allow: false, code: 'PlanOnly', afterMs: null });
});

test('approve applies exactly the approved plan; without an approval it waits for one; a stale approval is refused', (t) => {
  t.false(mayApply(input({ policy: 'approve' })), 'nothing approved: only plan');
  t.like(decidePlan(input({ policy: 'approve' }), plan), { allow: false, code: 'AwaitingApproval', afterMs: null });
  t.true(mayApply(input({ policy: 'approve' }, 'h-now')));
  t.deepEqual(decidePlan(input({ policy: 'approve' }, 'h-now'), plan), { allow: true });
  const stale = decidePlan(input({ policy: 'approve' }, 'h-before'), plan);
  t.like(stale, { allow: false, code: 'ApprovalStale', afterMs: null });
  t.regex(stale.allow ? '' : stale.message, /approved plan h-before is not the plan now \(h-now\)/);
});

test('a closed change window holds any policy and says when to look again', (t) => {
  const windows = [{ kind: 'deny' as const, schedule: '0 12 * * *', duration: '1h' }];
  t.false(mayApply(input({ windows })));
  t.like(decidePlan(input({ windows }), plan), { allow: false, code: 'ChangeWindowClosed', afterMs: 3_600_000 });
  t.like(decidePlan(input({ policy: 'approve', windows }, 'h-now'), plan), { allow: false, code: 'ChangeWindowClosed' }, 'approved, but not now');
});
