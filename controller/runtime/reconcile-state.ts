/**
 * What a reconcile of a site knows so far: each step reads what earlier ones found and adds its own. One
 * plain value, so a driver reads whatever it prints from the final state.
 */
import type { ChangeSet } from '../apply/change-set.js';
import type { HeldLocks } from '../apply/apply-locks.js';
import type { Change } from '../model/change.js';
import type { Desired } from '../model/desired.js';
import type { Inventory } from '../model/observed.js';
import type { Plan } from '../model/plan.js';
import type { PendingStep } from '../resolve/resolve-site.js';
import type { Revision } from '../source/revision.js';
import type { Diagnostic } from '../spec/diagnostic.js';
import type { Spec } from '../spec/spec.js';
import type { RunWriter } from '../store/store.js';
import type { RolloutStates } from '../store/rollout-states.js';

export interface ReconcileState {
  revision?: Revision;
  spec?: Spec;
  /** Load's; every resolve reports them again with its own. */
  loadDiagnostics: Diagnostic[];
  /** The latest stage's, sorted: load's, then each resolve's (load's included). */
  diagnostics: Diagnostic[];
  /** The latest resolve's; absent while steps wait for facts (pendingSteps) or resolve failed. */
  desired?: Desired;
  /** Steps the fact-less resolve left for plan time: observe probes the nodes' facts first. */
  pendingSteps: PendingStep[];
  inventory?: Inventory;
  plan?: Plan;
  /** Drift changes a controller's reconcile took out of its plan, for the drift policy (steps/hold-drift.ts). */
  heldDrift?: Change[];
  /** The store and the locks apply holds while its inner steps run (steps/apply-locks.ts). */
  held?: { store: RunWriter & RolloutStates; locks: HeldLocks };
  changeSet?: ChangeSet;
}

export const initialState = (): ReconcileState => ({ loadDiagnostics: [], diagnostics: [], pendingSteps: [] });

/** A field an earlier step must have set: missing, the step list is wrong (a bug, not a user error). */
export function required<T>(value: T | undefined, what: string, step: string): T {
  if (value === undefined) throw new Error(`reconcile step ${step} needs ${what}, which no earlier step set`);
  return value;
}
