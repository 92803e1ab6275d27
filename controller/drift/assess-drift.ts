/**
 * The drift assessment, pure: the changes a plan against the baseline revision would make, with the ledger
 * of earlier checks and the policy, give the report and the ledger's update. Time is an input, so ages,
 * fighting and backoff are exact in tests.
 */
import type { Change } from '../model/change.js';
import { byCodeUnit } from '../model/order.js';
import { targetLabel } from '../model/target.js';
import type { DriftMode } from '../spec/schema.js';
import type { DriftCorrection, OpenDrift } from '../store/drift-ledger.js';
import type { DriftModeOf } from './drift-policy.js';
import { FIGHTING_CORRECTIONS, FIGHTING_WINDOW_MS, type DriftDisposition, type DriftRecord, type DriftReport } from './drift-report.js';
import { driftSides } from './drift-side.js';

/** Whether a correction may run now: not under an `approve` policy or in a deny window (`reason` says which). */
export type CorrectionPermit = { allowed: true } | { allowed: false; reason: string };

export interface DriftAssessmentInput {
  site: string;
  revision: string;
  baseline: DriftReport['baseline'];
  now: Date;
  /** The plan's changes against the baseline revision. */
  changes: readonly Change[];
  modeOf: DriftModeOf;
  open: readonly OpenDrift<DriftRecord>[];
  /** The corrections within FIGHTING_WINDOW_MS of now, oldest first. */
  corrections: readonly DriftCorrection[];
  /** Targets the observation could not reach. */
  unobserved: readonly string[];
  permit: CorrectionPermit;
}

export interface DriftAssessment {
  report: Omit<DriftReport, 'outcome' | 'correction'>;
  /** For the ledger: records written, records resolved. */
  upsert: OpenDrift<DriftRecord>[];
  resolve: string[];
}

/** A restart or reload follows from what changed: the resource that changed drifted, not the service. */
const isDrift = (c: Change): boolean => c.action !== 'restart' && c.action !== 'reload';

const ageSeconds = (from: string, now: Date): number => Math.max(0, Math.floor((now.getTime() - Date.parse(from)) / 1000));

interface CorrectionHistory {
  succeeded: number;
  last?: DriftCorrection;
}

function historyOf(corrections: readonly DriftCorrection[]): Map<string, CorrectionHistory> {
  const out = new Map<string, CorrectionHistory>();
  for (const c of corrections) {
    const h = out.get(c.id) ?? { succeeded: 0 };
    if (c.outcome === 'succeeded') h.succeeded += 1;
    h.last = c;
    out.set(c.id, h);
  }
  return out;
}

function dispositionOf(mode: DriftMode, history: CorrectionHistory, input: DriftAssessmentInput): { disposition: DriftDisposition; note?: string; retryAt?: string } {
  if (mode !== 'correct') return { disposition: 'report' };
  if (history.succeeded >= FIGHTING_CORRECTIONS) {
    return { disposition: 'fighting', note: `corrected ${history.succeeded} times within the hour and drifted again: something else keeps changing it; correction stopped` };
  }
  const last = history.last;
  if (last?.outcome === 'failed' && last.retryAt !== null && Date.parse(last.retryAt) > input.now.getTime()) {
    return { disposition: 'backoff', note: `the last correction failed; the next after ${last.retryAt}`, retryAt: last.retryAt };
  }
  if (!input.permit.allowed) return { disposition: 'report', note: `correction is report-only: ${input.permit.reason}` };
  return { disposition: 'correct' };
}

interface Known {
  mode: DriftMode;
  prior: OpenDrift<DriftRecord> | undefined;
  history: CorrectionHistory;
}

function recordOf(change: Change, { mode, prior, history }: Known, input: DriftAssessmentInput): DriftRecord {
  const at = input.now.toISOString();
  const firstSeen = prior?.firstSeen ?? at;
  return {
    id: change.id,
    target: targetLabel(change.target),
    kind: change.kind,
    key: change.key,
    ...(change.cluster !== undefined ? { cluster: change.cluster } : {}),
    action: change.action,
    reason: change.reason,
    ...driftSides(change),
    mode,
    ...dispositionOf(mode, history, input),
    firstSeen,
    lastSeen: at,
    ageSeconds: ageSeconds(firstSeen, input.now),
    correctionsLastHour: history.succeeded,
  };
}

/** Records of targets not observed this time stand as they were, older. */
function carriedOver(entry: OpenDrift<DriftRecord>, now: Date): DriftRecord {
  return { ...entry.record, ageSeconds: ageSeconds(entry.firstSeen, now), note: `${entry.record.target} was not observed in this check: as last seen` };
}

export function assessDrift(input: DriftAssessmentInput): DriftAssessment {
  const open = new Map(input.open.map((o) => [o.id, o]));
  const history = historyOf(input.corrections.filter((c) => input.now.getTime() - Date.parse(c.at) <= FIGHTING_WINDOW_MS));
  const unobserved = new Set(input.unobserved);
  const drifted: DriftRecord[] = [];
  const upsert: OpenDrift<DriftRecord>[] = [];
  const seen = new Set<string>();
  let ignored = 0;
  for (const change of input.changes.filter(isDrift)) {
    seen.add(change.id);
    const mode = input.modeOf(change);
    if (mode === 'ignore') {
      ignored += 1;
      continue;
    }
    const record = recordOf(change, { mode, prior: open.get(change.id), history: history.get(change.id) ?? { succeeded: 0 } }, input);
    drifted.push(record);
    upsert.push({ id: record.id, firstSeen: record.firstSeen, record });
  }
  const resolved: DriftRecord[] = [];
  const resolve: string[] = [];
  const kept = new Set(upsert.map((u) => u.id));
  for (const entry of input.open) {
    if (kept.has(entry.id)) continue;
    if (!seen.has(entry.id) && unobserved.has(entry.record.target)) {
      drifted.push(carriedOver(entry, input.now));
      continue;
    }
    resolve.push(entry.id);
    // Ignored now: closed without being reported as resolved (it may still differ).
    if (!seen.has(entry.id)) resolved.push({ ...entry.record, ageSeconds: ageSeconds(entry.firstSeen, input.now), resolvedAt: input.now.toISOString() });
  }
  drifted.sort((a, b) => byCodeUnit(a.id, b.id));
  resolved.sort((a, b) => byCodeUnit(a.id, b.id));
  const report = {
    site: input.site,
    revision: input.revision,
    baseline: input.baseline,
    checkedAt: input.now.toISOString(),
    drifted,
    resolved,
    fighting: drifted.filter((r) => r.disposition === 'fighting'),
    toCorrect: drifted.filter((r) => r.disposition === 'correct'),
    ignored,
    unobserved: [...unobserved].sort(byCodeUnit),
  };
  return { report, upsert, resolve: resolve.sort(byCodeUnit) };
}
