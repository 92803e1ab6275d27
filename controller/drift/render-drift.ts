/**
 * A drift report for people (`underlay drift`): one line per drifted resource with its age and what the
 * check does about it, then the resolved ones, then counts. JSON is the report itself (canonical JSON).
 */
import { describeError, toErrorRecord } from '../model/errors.js';
import type { DriftRecord, DriftReport, DriftSide } from './drift-report.js';

/** 0s, 42s, 5m12s, 3h04m, 2d07h: the two largest units. */
export function formatAge(seconds: number): string {
  const units: [string, number][] = [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]];
  const first = units.findIndex(([, size]) => seconds >= size);
  if (first < 0) return '0s';
  const [unit, size] = units[first]!;
  const lead = `${Math.floor(seconds / size)}${unit}`;
  const next = units[first + 1];
  if (!next) return lead;
  return `${lead}${String(Math.floor((seconds % size) / next[1])).padStart(2, '0')}${next[0]}`;
}

const side = (s: DriftSide | null): string => {
  if (s === null) return 'absent';
  const content = s.secretContent !== undefined ? ` secret content ${s.secretContent}` : s.contentSha256 !== undefined ? ` content sha256:${s.contentSha256.slice(0, 12)}` : '';
  return `${s.digest.slice(0, 19)}${content}`;
};

function recordLines(r: DriftRecord): string[] {
  const what = `${r.target} ${r.key}`;
  const lines = [`  ~ ${what}: ${r.reason}`, `      ${r.disposition} (mode ${r.mode}), drifted for ${formatAge(r.ageSeconds)}, first seen ${r.firstSeen}`];
  lines.push(`      before ${side(r.before)} -> after ${side(r.after)}`);
  if (r.note) lines.push(`      ${r.note}`);
  return lines;
}

function correctionLines(report: DriftReport): string[] {
  const c = report.correction;
  if (!c) return [];
  const lines = [`Correction run ${c.runId}: ${c.status}`];
  for (const id of c.corrected) lines.push(`  corrected ${id}`);
  for (const id of c.failed) lines.push(`  not corrected ${id}`);
  return lines;
}

function outcomeLine(report: DriftReport): string[] {
  const o = report.outcome;
  if (o.type === 'done') return [];
  const why = o.type === 'fail' ? describeError(o.error) : `${o.message} [${o.code}]`;
  return [`The check stopped at ${o.step} (${o.type}): ${why}`];
}

export function renderDriftText(report: DriftReport): string {
  const lines = [`Drift of site ${report.site} against ${report.revision.slice(0, 12)} (${report.baseline === 'last-applied' ? 'the last applied revision' : 'the current revision'}), checked ${report.checkedAt}`];
  lines.push(...outcomeLine(report));
  if (report.drifted.length > 0) lines.push('Drifted:', ...report.drifted.flatMap(recordLines));
  if (report.resolved.length > 0) lines.push('Resolved:', ...report.resolved.map((r) => `  = ${r.target} ${r.key}: matches again after ${formatAge(r.ageSeconds)}`));
  lines.push(...correctionLines(report));
  for (const node of report.unobserved) lines.push(`Warning: ${node} could not be observed: its drift is as last seen`);
  lines.push(`${report.drifted.length} drifted (${report.toCorrect.length} to correct, ${report.fighting.length} fighting), ${report.resolved.length} resolved, ${report.ignored} ignored.`);
  return lines.join('\n') + '\n';
}

/** The report as JSON can carry it: a failed check's error as its record (code, message), not as an object. */
export function driftReportJson(report: DriftReport): Record<string, unknown> {
  const o = report.outcome;
  const outcome = o.type === 'fail' ? { type: o.type, step: o.step, error: toErrorRecord(o.error) } : o;
  return { ...report, outcome };
}
