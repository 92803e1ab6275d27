/**
 * What a drift check needs besides the reconcile runtime's dependencies: the revision at a commit (the
 * baseline), the site's ledger and apply history, the correction permit, and randomness for the backoff.
 */
import type { Opener, RuntimeDeps } from '../runtime/runtime-deps.js';
import type { ReconcileStep } from '../runtime/reconcile-step.js';
import type { ReconcileState } from '../runtime/reconcile-state.js';
import type { Revision } from '../source/revision.js';
import type { CorrectionPermit, DriftAssessment } from './assess-drift.js';
import type { DriftLedger } from '../store/drift-ledger.js';
import type { DriftRecord, DriftReport } from './drift-report.js';

export interface DriftStore {
  ledger: DriftLedger<DriftRecord>;
  /** The commit of the newest run that completed (status succeeded), or null when none did. */
  lastAppliedCommit(): Promise<string | null>;
}

/** The embedded store's parts (controller/store/sqlite-store.ts) as a drift check uses them. */
export function driftStoreOf(store: { driftLedger<R>(): DriftLedger<R>; lastAppliedCommit(): Promise<string | null> }): DriftStore {
  return { ledger: store.driftLedger<DriftRecord>(), lastAppliedCommit: () => store.lastAppliedCommit() };
}

export interface DriftDeps extends RuntimeDeps {
  /** The site's revision at `commit` (the last applied one), from the same source as `source`. */
  revisionAt(commit: string): Promise<Revision>;
  /** By site id. */
  driftStore: Opener<string, DriftStore>;
  permit: CorrectionPermit;
  random: () => number;
}

export interface DriftState extends ReconcileState {
  baseline?: DriftReport['baseline'];
  assessment?: DriftAssessment;
  correction?: NonNullable<DriftReport['correction']>;
}

export type DriftStep = ReconcileStep<DriftState, DriftDeps>;
