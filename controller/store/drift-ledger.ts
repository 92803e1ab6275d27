/**
 * The drift ledger: what the controller remembers of drift between checks, per site. The open records
 * (first seen, what drifted) give every drifted resource its age across checks and restarts; the
 * corrections give "fighting" (so many corrections within the hour) and the backoff after a failed one.
 * Corrections outlive the record they corrected: a resource put back and edited again is the same fight.
 * The record is the drift check's (controller/drift/drift-report.ts), kept as the JSON it is.
 */
export interface OpenDrift<R> {
  id: string;
  firstSeen: string;
  /** The record as the last check that saw it assessed it. */
  record: R;
}

export interface DriftCorrection {
  id: string;
  at: string;
  outcome: 'succeeded' | 'failed';
  /** After a failure: no correction of it before then. */
  retryAt: string | null;
}

export interface DriftLedger<R> {
  readonly site: string;
  /** Sorted by id. */
  open(): Promise<OpenDrift<R>[]>;
  /** Every correction at or after `since`, oldest first. */
  corrections(since: string): Promise<DriftCorrection[]>;
  /** One transaction: records written (new or seen again; the first-seen time of a known one stays) and records resolved (removed). */
  update(change: { upsert: readonly OpenDrift<R>[]; resolve: readonly string[] }): Promise<void>;
  /** Appends corrections; forgets those older than `forgetBefore`. */
  recordCorrections(entries: readonly DriftCorrection[], forgetBefore: string): Promise<void>;
}
