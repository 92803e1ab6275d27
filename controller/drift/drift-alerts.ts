/**
 * A drift report as alerts: one DriftDetected incident per drifted resource (its summary and details
 * refreshed by every check, sent once, reminded while open), one more per fighting resource (correction has
 * stopped: someone must look), and each resolved when the report says the resource matches again.
 */
import type { DriftRecord, DriftReport } from './drift-report.js';
import type { Alert, Alerter } from '../alerts/alert.js';

const FIGHTING = '#fighting';

function details(report: DriftReport, r: DriftRecord): Record<string, unknown> {
  return {
    target: r.target,
    resource: r.key,
    revision: report.revision,
    reason: r.reason,
    before: r.before,
    after: r.after,
    mode: r.mode,
    disposition: r.disposition,
    firstSeen: r.firstSeen,
    ageSeconds: r.ageSeconds,
    ...(r.note !== undefined ? { note: r.note } : {}),
  };
}

export function driftAlerts(report: DriftReport): { raise: Alert[]; resolve: string[] } {
  const raise: Alert[] = [];
  for (const r of report.drifted) {
    raise.push({ site: report.site, reason: 'DriftDetected', key: r.id, summary: `${r.target} ${r.key} drifted: ${r.reason}`, details: details(report, r) });
    if (r.disposition === 'fighting') {
      raise.push({ site: report.site, reason: 'DriftDetected', key: r.id + FIGHTING, summary: `${r.target} ${r.key} is fighting: corrected ${r.correctionsLastHour} times within the hour and drifted again; correction stopped`, details: details(report, r) });
    }
  }
  const notFighting = report.drifted.filter((r) => r.disposition !== 'fighting').map((r) => r.id + FIGHTING);
  const resolve = [...report.resolved.flatMap((r) => [r.id, r.id + FIGHTING]), ...notFighting];
  return { raise, resolve };
}

/** What the controller calls after every drift check. A check that stopped before it assessed changes nothing. */
export function alertDrift(alerter: Alerter, report: DriftReport): void {
  if (report.outcome.type !== 'done' && report.drifted.length === 0 && report.resolved.length === 0) return;
  const { raise, resolve } = driftAlerts(report);
  for (const alert of raise) alerter.raise(alert);
  for (const key of resolve) alerter.resolve(report.site, 'DriftDetected', key);
}
