/**
 * What the text and Markdown renderings of a pull-request plan say alike: the summary sentence, a group's
 * targets, the base's state and each rollout's blast radius.
 */
import type { BlastRadius } from './blast-radius.js';
import { summaryLine } from './change-details.js';
import type { ChangeGroup } from './group-changes.js';
import { nameRanges } from './name-ranges.js';
import type { PullRequestMark } from './pull-request-marks.js';
import type { PullRequestPlan } from './pull-request-plan.js';

export const MARK_WORD: Record<PullRequestMark, string> = { new: 'new', changed: 'changed', gone: 'gone', unchanged: 'pending on base' };

/** "3 new, 1 changed, 2 gone on 41 targets", or that it changes nothing. */
export function pullRequestSummaryLine(pr: PullRequestPlan): string {
  const s = pr.summary;
  const own = s.new + s.changed + s.gone;
  const pending = s.unchanged === 0 ? '' : ` ${s.unchanged} change(s) pending on the base already are not this pull request's.`;
  if (own === 0) return `This pull request changes nothing on the nodes.${pending}`;
  return `This pull request: ${s.new} new, ${s.changed} changed, ${s.gone} gone, on ${s.targets} target(s).${pending}`;
}

/** The targets written short, and at most about `max` characters of them: a group on every other node must not fill a comment. */
export function groupTargets(group: Pick<ChangeGroup, 'targets'>, max = 240): string {
  const all = nameRanges(group.targets);
  const count = group.targets.length;
  const suffix = count > 1 ? ` (${count})` : '';
  if (all.length <= max) return `${all}${suffix}`;
  const cut = all.lastIndexOf(', ', max);
  return `${all.slice(0, cut > 0 ? cut : max)}, … (${count} in all)`;
}

/** A group as one sentence: "node01…node40 (40): ~ update file:/etc/x, same change". */
export function groupSentence(group: ChangeGroup, symbol: string): string {
  const same = group.targets.length > 1 ? ', same change' : '';
  return `${groupTargets(group)}: ${symbol} ${group.action} ${group.key}${same}`;
}

/** `quote` writes a value as the format shows one (Markdown: a code span). */
export function baseLine(pr: PullRequestPlan, quote: (text: string) => string = (t) => t): string {
  const b = pr.base;
  if ('problem' in b) return `The base could not be planned (${b.problem}): every change of the head is shown as new.`;
  return `Base ${quote(b.revision.commit)} (${quote(b.revision.ref)}), plan hash ${quote(b.planHash)}.`;
}

/** "the inventory snapshot 1a2b… observed at 2026-…", the snapshot both revisions were planned against. */
export function snapshotLine(pr: PullRequestPlan, hashLength: number, quote: (text: string) => string = (t) => t): string {
  const at = pr.observedAt === undefined ? '' : ` observed at ${quote(pr.observedAt)}`;
  return `the inventory snapshot ${quote(pr.inventoryHash.slice(0, hashLength))}${at}`;
}

/** The head plan's own summary: "Head plan: 3 to create, ...". */
export function headSummaryLine(pr: PullRequestPlan): string {
  return `Head plan: ${summaryLine(pr.head.summary).replace(/^Plan: /, '')}`;
}

/** What each mark means, for a reader who meets them first in this comment. */
export const MARK_LEGEND = "new: only the head plans it · changed: both plan it, differently · gone: only the base plans it (this pull request takes it back)";

/** "40 of 40 member(s) disrupted in 10 batch(es), at most 4 of 40 (10%) down at once; failure budget 1; ...". */
export function blastRadiusLine(r: BlastRadius): string {
  const by = r.changedByPullRequest ? 'made by this pull request' : 'as on the base';
  const held = r.held > 0 ? `; ${r.held} held back (members already down use up maxUnavailable)` : '';
  return `${r.disrupted} of ${r.members} member(s) disrupted in ${r.batches} batch(es), at most ${r.atOnceShare} down at once${held}; failure budget ${r.failureBudget}; ${by}`;
}
