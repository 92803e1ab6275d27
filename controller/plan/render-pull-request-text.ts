/**
 * A pull-request plan for a terminal or a CI log: all of it, unabridged (the Markdown comment may be cut to
 * fit its limit; this is what it points to), identical changes across targets on one line.
 */
import type { KindRegistry } from '../../reconcilers/registry.js';
import { ACTION_SYMBOL, EMPTY_NODES_BANNER, WORKTREE_BANNER } from './change-details.js';
import { pullRequestDetails } from './pull-request-details.js';
import { decommissionLine } from './decommission.js';
import type { ChangeGroup } from './group-changes.js';
import type { MarkedChange } from './pull-request-marks.js';
import { headChanges, type PullRequestPlan } from './pull-request-plan.js';
import { rolloutTextLines } from './render-rollout.js';
import { baseLine, blastRadiusLine, headSummaryLine, groupSentence, MARK_LEGEND, MARK_WORD, pullRequestSummaryLine, snapshotLine } from './pull-request-wording.js';

function groupLines(g: ChangeGroup, change: MarkedChange, registry: KindRegistry): string[] {
  const lines = [`  ${MARK_WORD[g.mark]}: ${groupSentence(g, ACTION_SYMBOL[g.action])}`, `      ${g.reason}`];
  if (g.differs) lines.push(`      differs from the base in ${g.differs.join(', ')}`);
  const d = pullRequestDetails(change, registry);
  for (const a of d.attributes) lines.push(`      ${a}`);
  for (const l of d.content) lines.push(`      ${l}`.trimEnd());
  return lines;
}

function headerLines(pr: PullRequestPlan): string[] {
  const h = pr.head.revision;
  const out = [`Head ${h.commit} (${h.ref} from ${h.source}), against ${snapshotLine(pr, 64)}`, baseLine(pr)];
  if (h.worktree) out.push('', `!!! ${WORKTREE_BANNER} !!!`);
  if (pr.head.observation === 'none') out.push('', `!!! ${EMPTY_NODES_BANNER} !!!`);
  for (const w of pr.head.warnings ?? []) out.push('', `Warning: ${w}`);
  for (const d of pr.head.decommissioned ?? []) out.push('', `Decommission: ${decommissionLine(d)}`);
  return out;
}

export function renderPullRequestText(pr: PullRequestPlan, options: { registry: KindRegistry }): string {
  const changeById = new Map(pr.changes.map((m) => [m.change.id, m]));
  const lines = (groups: ChangeGroup[]) => groups.flatMap((g) => groupLines(g, changeById.get(g.changeIds[0]!)!, options.registry));
  const own = pr.groups.filter((g) => g.mark !== 'unchanged');
  const pending = pr.groups.filter((g) => g.mark === 'unchanged');
  const out = [...headerLines(pr), '', pullRequestSummaryLine(pr), headSummaryLine(pr)];
  if (own.length > 0) out.push('', 'What this pull request changes:', `  (${MARK_LEGEND})`, ...lines(own));
  if (pr.blastRadius.length > 0) out.push('', 'Blast radius:', ...pr.blastRadius.map((r) => `  ${r.cluster}: ${blastRadiusLine(r)}`));
  out.push(...rolloutTextLines(pr.head.rollout, headChanges(pr)));
  if (pending.length > 0) out.push('', 'Pending on the base already (not this pull request\'s):', ...lines(pending));
  const base = 'problem' in pr.base ? '' : `, base plan hash ${pr.base.planHash}`;
  out.push('', `Head plan hash ${pr.head.planHash}${base}`);
  return `${out.join('\n')}\n`;
}
