/**
 * The drift ledger: what the controller remembers of drift between checks, per site. The open records
 * (first seen, last seen, what drifted) give every drifted resource its age across checks and restarts;
 * the corrections give "fighting" (so many corrections within the hour) and the backoff after a failed one.
 * Corrections outlive the record they corrected: a resource put back and edited again is the same fight.
 */
import type { DriftRecord } from './drift-report.js';

export interface OpenDrift {
  id: string;
  firstSeen: string;
  /** The record as the last check that saw it assessed it. */
  record: DriftRecord;
}

export interface DriftCorrection {
  id: string;
  at: string;
  outcome: 'succeeded' | 'failed';
  /** After a failure: no correction of it before then. */
  retryAt: string | null;
}

export interface DriftLedger {
  readonly site: string;
  /** Sorted by id. */
  open(): Promise<OpenDrift[]>;
  /** Every correction at or after `since`, oldest first. */
  corrections(since: string): Promise<DriftCorrection[]>;
  /** One transaction: records written (new or seen again) and records resolved (removed). */
  update(change: { upsert: readonly OpenDrift[]; resolve: readonly string[] }): Promise<void>;
  /** Appends corrections; forgets those older than `forgetBefore`. */
  recordCorrections(entries: readonly DriftCorrection[], forgetBefore: string): Promise<void>;
}
