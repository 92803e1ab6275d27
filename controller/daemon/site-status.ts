/**
 * What the controller knows of each site between reconciles, for the API, the metrics and readiness: set
 * once per reconcile from its outcome and final state (the runtime's StatusWriter), never by the steps.
 * Runs and the journal stay in the store; this is the live view beside them.
 */
import { describeError } from '../model/errors.js';
import type { Plan } from '../model/plan.js';
import type { Reconciled } from '../runtime/reconcile.js';
import type { ReconcileState } from '../runtime/reconcile-state.js';
import type { SiteConfig } from './controller-config.js';

export interface SiteCondition {
  type: 'Ready' | 'Stalled' | 'Reconciling' | 'Suspended';
  status: 'True' | 'False' | 'Unknown';
  /** CamelCase. */
  reason: string;
  message: string;
}

export interface LastReconcile {
  startedAt: string;
  finishedAt: string;
  outcome: 'done' | 'stall' | 'wait' | 'fail';
  step?: string;
  code?: string;
  message?: string;
  /** The run it applied in, if it got that far. */
  runId?: number;
}

export interface SiteStatusView {
  name: string;
  policy: SiteConfig['apply']['policy'];
  suspended: boolean;
  /** Its first reconcile has ended, whatever the outcome: what readiness waits for. */
  attempted: boolean;
  reconciling: boolean;
  queueDepth: number;
  /** The commit the latest reconcile read. */
  revision: string | null;
  lastAppliedRevision: string | null;
  lastReconcile: LastReconcile | null;
  /**
   * The latest plan: what `approve` names by its hash. `heldDrift`: the drift changes the reconcile left out
   * of it for the drift policy (ADR 0028); GET .../drift says what drifted.
   */
  plan: { hash: string; revision: string; changes: number; summary: Plan['summary']; heldDrift: number } | null;
  approvedPlanHash: string | null;
  /** The latest drift check: when, and how many resources drifted (GET .../drift has them all). */
  drift: { checkedAt: string; drifted: number; fighting: number; outcome: string } | null;
  conditions: SiteCondition[];
}

export function initialSiteStatus(site: SiteConfig, controls: { suspended: boolean; approvedPlanHash: string | null }): SiteStatusView {
  return {
    name: site.name,
    policy: site.apply.policy,
    suspended: controls.suspended,
    attempted: false,
    reconciling: false,
    queueDepth: 0,
    revision: null,
    lastAppliedRevision: null,
    lastReconcile: null,
    plan: null,
    approvedPlanHash: controls.approvedPlanHash,
    drift: null,
    conditions: [],
  };
}

/** How the reconcile ended, as plain data (an error becomes its description). */
export function lastReconcileOf(reconciled: Reconciled<ReconcileState>, startedAt: string, finishedAt: string): LastReconcile {
  const { outcome, state } = reconciled;
  const base: LastReconcile = { startedAt, finishedAt, outcome: outcome.type, ...(state.changeSet ? { runId: state.changeSet.runId } : {}) };
  if (outcome.type === 'done') return base;
  if (outcome.type === 'fail') return { ...base, step: outcome.step, code: errorCode(outcome.error), message: describeError(outcome.error) };
  return { ...base, step: outcome.step, code: outcome.code, message: outcome.message };
}

const errorCode = (error: unknown): string => (typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : 'ReconcileFailed');

/** The view after a reconcile: what it read, planned and applied. */
export function afterReconcile(view: SiteStatusView, reconciled: Reconciled<ReconcileState>, last: LastReconcile): SiteStatusView {
  const { state } = reconciled;
  const plan = state.plan ? { hash: state.plan.hash, revision: state.plan.revision.commit, changes: state.plan.changes.length, summary: state.plan.summary, heldDrift: state.heldDrift?.length ?? 0 } : view.plan;
  const applied = state.changeSet?.status === 'succeeded' ? (state.plan?.revision.commit ?? null) : null;
  const next = { ...view, attempted: true, revision: state.revision?.commit ?? view.revision, lastReconcile: last, plan, lastAppliedRevision: applied ?? view.lastAppliedRevision };
  return { ...next, conditions: siteConditions(next) };
}

/** Ready, Stalled, Reconciling and Suspended, from the view (Flux's conditions: type, status, reason, message). */
export function siteConditions(view: Omit<SiteStatusView, 'conditions'>): SiteCondition[] {
  const last = view.lastReconcile;
  const conditions: SiteCondition[] = [];
  if (!last) conditions.push({ type: 'Ready', status: 'Unknown', reason: 'NotReconciled', message: 'not reconciled yet' });
  else if (last.outcome === 'done') conditions.push({ type: 'Ready', status: 'True', reason: view.policy === 'plan-only' ? 'Planned' : 'ReconcileSucceeded', message: `reconciled ${view.revision ?? ''}`.trim() });
  else conditions.push({ type: 'Ready', status: 'False', reason: last.code ?? 'ReconcileFailed', message: `${last.step ?? ''}: ${last.message ?? ''}` });
  if (last?.outcome === 'stall') conditions.push({ type: 'Stalled', status: 'True', reason: last.code ?? 'Stalled', message: last.message ?? '' });
  conditions.push({ type: 'Reconciling', status: view.reconciling ? 'True' : 'False', reason: view.reconciling ? 'Progressing' : 'Idle', message: `queue depth ${view.queueDepth}` });
  if (view.suspended) conditions.push({ type: 'Suspended', status: 'True', reason: 'SuspendedByOperator', message: 'no reconcile starts until the site is resumed' });
  return conditions;
}
