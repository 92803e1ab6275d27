/**
 * Drift as status shows it (`underlay status`, the controller's API): the records the last check left
 * open, their age as of now. Pure: `now` is given.
 */
import type { OpenDrift } from '../store/drift-ledger.js';
import type { DriftRecord } from './drift-report.js';
import { formatAge } from './render-drift.js';

export interface DriftStatus {
  drifted: DriftRecord[];
  /** When the newest of them was last seen: the last check that found drift. */
  lastSeen: string | null;
}

export function driftStatus(open: readonly OpenDrift<DriftRecord>[], now: Date): DriftStatus {
  const drifted = open.map((o) => ({ ...o.record, ageSeconds: Math.max(0, Math.floor((now.getTime() - Date.parse(o.firstSeen)) / 1000)) }));
  const lastSeen = drifted.map((r) => r.lastSeen).sort().at(-1) ?? null;
  return { drifted, lastSeen };
}

export function renderDriftStatusText(status: DriftStatus): string {
  if (status.drifted.length === 0) return '';
  const lines = [`Drift: ${status.drifted.length} resource(s), as the last check (${status.lastSeen}) found them`];
  for (const r of status.drifted) lines.push(`  ~ ${r.target} ${r.key}: ${r.reason}; ${r.disposition}, drifted for ${formatAge(r.ageSeconds)} (first seen ${r.firstSeen})`);
  return lines.join('\n') + '\n';
}
