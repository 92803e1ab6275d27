/**
 * A drift report as alerts: one DriftDetected incident per drifted resource (its summary and details
 * refreshed by every check, sent once, reminded while open), one more per fighting resource (correction has
 * stopped: someone must look), and each resolved when the report says the resource matches again; and
 * a correction's halted rollout as RolloutHalted.
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

/**
 * A correction goes through the rollout batches and the breaker like any apply, so its halts are the same
 * incident as an apply's (RolloutHalted, keyed by cluster): raised when the breaker halts it, resolved when
 * a correction gets through that cluster's batches.
 */
export function correctionRolloutAlerts(report: DriftReport): { raise: Alert[]; resolve: string[] } {
  const c = report.correction;
  if (!c) return { raise: [], resolve: [] };
  const raise: Alert[] = c.halted.map((h) => ({
    site: report.site,
    reason: 'RolloutHalted',
    key: h.cluster,
    summary: `the rollout of cluster ${h.cluster} halted (a drift correction): ${h.message}`,
    details: { runId: c.runId, reason: h.reason, revision: report.revision, correction: true },
  }));
  if (c.status === 'interrupted') return { raise, resolve: [] };
  const halted = new Set(c.halted.map((h) => h.cluster));
  return { raise, resolve: c.clusters.filter((cluster) => !halted.has(cluster)) };
}

/** What the controller calls after every drift check. A check that stopped before it assessed changes nothing. */
export function alertDrift(alerter: Alerter, report: DriftReport): void {
  const rollouts = correctionRolloutAlerts(report);
  for (const alert of rollouts.raise) alerter.raise(alert);
  for (const cluster of rollouts.resolve) alerter.resolve(report.site, 'RolloutHalted', cluster);
  if (report.outcome.type !== 'done' && report.drifted.length === 0 && report.resolved.length === 0) return;
  const { raise, resolve } = driftAlerts(report);
  for (const alert of raise) alerter.raise(alert);
  for (const key of resolve) alerter.resolve(report.site, 'DriftDetected', key);
}
