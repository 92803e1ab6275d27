/**
 * What a reconcile tells its driver while it runs, in the order it happens. The runtime prints nothing: the
 * CLI turns these into lines, the controller loop will turn them into Kubernetes Events and logs.
 */
import type { ApplyEvent } from '../apply/apply-plan.js';
import type { ChangeSet } from '../apply/change-set.js';
import type { Change } from '../model/change.js';
import type { ErrorRecord } from '../model/errors.js';
import type { Plan } from '../model/plan.js';
import type { Diagnostic } from '../spec/diagnostic.js';
import type { InterruptedRun } from '../store/store.js';

export type ReconcileEvent =
  /** A resolve finished; `final`: no other follows (it ran against an observation, or it stops the reconcile). */
  | { type: 'resolved'; final: boolean; diagnostics: Diagnostic[] }
  | { type: 'locks-refused'; errors: ErrorRecord[] }
  /** `notes`: locks taken over from applies that are gone; `duplicates`: nodes refused as one machine. */
  | { type: 'locks-taken'; notes: string[]; duplicates: ErrorRecord[] }
  | { type: 'locks-released'; warnings: string[] }
  | { type: 'runs-interrupted'; runs: InterruptedRun[] }
  /** Drift changes taken out of the plan, left to the drift policy (steps/hold-drift.ts). */
  | { type: 'drift-held'; changes: Change[] }
  /** The plan apply is about to carry out. */
  | { type: 'plan-decided'; plan: Plan }
  | { type: 'apply'; event: ApplyEvent }
  /** The run id could not be recorded with the locks; the apply goes on. */
  | { type: 'run-unattached'; message: string }
  | { type: 'applied'; changeSet: ChangeSet };
