/**
 * What the text and Markdown renderings of a pull-request plan say alike: the summary sentence, a group's
 * targets, the base's state and each rollout's blast radius.
 */
import type { BlastRadius } from './blast-radius.js';
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

export function baseLine(pr: PullRequestPlan): string {
  const b = pr.base;
  if ('problem' in b) return `The base could not be planned (${b.problem}): every change of the head is shown as new.`;
  return `Base ${b.revision.commit} (${b.revision.ref}), plan hash ${b.planHash}.`;
}

/** "4 of 40 members at once (10 %), in 10 batches; failure budget 1". */
export function blastRadiusLine(r: BlastRadius): string {
  const by = r.changedByPullRequest ? 'made by this pull request' : 'as on the base';
  return `${r.disrupted} of ${r.members} member(s) disrupted in ${r.batches} batch(es), at most ${r.atOnce} down at once (${r.percentAtOnce} % of the cluster); failure budget ${r.failureBudget}; ${by}`;
}
