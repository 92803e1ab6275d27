/**
 * What a drift check found: every resource whose observed state is not what the baseline revision (the last
 * applied one, or the current one under plan-only) wants, as a planned change against that revision would
 * put it back. A record says what drifted by digests of its attributes before and after, never by content:
 * a resource that delivers a secret says only whether its content changed.
 */
import type { Action } from '../model/change.js';
import type { ReconcileOutcome } from '../runtime/reconcile-step.js';
import type { DriftMode } from '../spec/schema.js';

/**
 * The observed (before) or wanted (after) side of a drifted resource. `digest`: sha256 of the canonical JSON
 * of the side's attributes (for a resource delivering a secret, without its content); `contentSha256`: a
 * file's bytes, as `sha256sum` prints them; `secretContent` (before only, a resource delivering a secret):
 * whether the node's copy is the store's value, and nothing else of it.
 */
export interface DriftSide {
  digest: string;
  contentSha256?: string;
  secretContent?: 'changed' | 'unchanged' | 'unknown';
}

/**
 * What the check does about a drifted resource now:
 * - correct: it is re-applied (policy `correct`, correction allowed, not fighting, not backing off);
 * - report: reported only (policy `alert`, or correction not allowed now: `note` says why);
 * - fighting: corrected FIGHTING_CORRECTIONS times within the hour and drifted again: no more corrections;
 * - backoff: its last correction failed; the next waits until `retryAt`.
 */
export type DriftDisposition = 'correct' | 'report' | 'fighting' | 'backoff';

export interface DriftRecord {
  /** The plan's change id: `<target>/<resource key>`. */
  id: string;
  target: string;
  kind: string;
  key: string;
  cluster?: string;
  /** What the correction would do. */
  action: Action;
  /** What differs, as the plan says it (file content by sha256, attributes by value; never secret content). */
  reason: string;
  before: DriftSide | null;
  after: DriftSide | null;
  mode: DriftMode;
  disposition: DriftDisposition;
  note?: string;
  firstSeen: string;
  lastSeen: string;
  /** checkedAt - firstSeen. */
  ageSeconds: number;
  /** Successful corrections within the last hour. */
  correctionsLastHour: number;
  retryAt?: string;
  /** Only in `resolved`: when it was found matching again. */
  resolvedAt?: string;
}

/** What a correction run did, and what became of the rollouts it went through (batches and breaker). */
export interface DriftCorrectionRun {
  runId: number;
  status: string;
  corrected: string[];
  failed: string[];
  /** The clusters whose rollout batches the correction went through. */
  clusters: string[];
  /** The clusters whose rollout the breaker halted in this run, with the run's RolloutHalted reason and message. */
  halted: { cluster: string; reason: string; message: string }[];
}

export interface DriftReport {
  site: string;
  /** The baseline revision's commit. */
  revision: string;
  /** `last-applied`: the newest revision an apply completed; `current`: the ref's (plan-only, or nothing applied yet). */
  baseline: 'last-applied' | 'current';
  checkedAt: string;
  /** Every drifted resource, by id, whatever its disposition (fighting and toCorrect included). */
  drifted: DriftRecord[];
  /** Drifted at the last check, matching now. */
  resolved: DriftRecord[];
  fighting: DriftRecord[];
  toCorrect: DriftRecord[];
  /** Drifted resources the policy ignores: counted, not recorded. */
  ignored: number;
  /** Targets that could not be observed: their records are kept as they were, neither refreshed nor resolved. */
  unobserved: string[];
  /** Present after a check that corrected: what the correction run did. */
  correction?: DriftCorrectionRun;
  /** How the check's reconcile ended; `done` unless it stopped before it could assess (then the lists are empty). */
  outcome: ReconcileOutcome;
}

/** A resource corrected this many times within FIGHTING_WINDOW_MS that drifts again is fighting. */
export const FIGHTING_CORRECTIONS = 3;
export const FIGHTING_WINDOW_MS = 60 * 60_000;
