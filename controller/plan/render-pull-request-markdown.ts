/**
 * A pull-request plan as a pull-request comment: what the pull request changes (new, changed, gone),
 * identical changes across targets on one row, the rollout's blast radius, and what was pending on the base
 * already, collapsed. It always fits the comment limit (GitHub's 65,536 characters): what must be cut is cut
 * whole rows and blocks at a time, by importance, and the comment says what it left out and which command
 * shows all of it.
 */
import type { KindRegistry } from '../../reconcilers/registry.js';
import { ACTION_SYMBOL, EMPTY_NODES_BANNER, WORKTREE_BANNER } from './change-details.js';
import { pullRequestDetails } from './pull-request-details.js';
import { CommentBudget, linesSize, type BudgetItem, type FittedSection } from './comment-budget.js';
import { decommissionLine } from './decommission.js';
import type { ChangeGroup } from './group-changes.js';
import { MARKS, type MarkedChange } from './pull-request-marks.js';
import { headChanges, type PullRequestPlan } from './pull-request-plan.js';
import { baseLine, blastRadiusLine, headSummaryLine, groupTargets, MARK_LEGEND, MARK_WORD, pullRequestSummaryLine, snapshotLine } from './pull-request-wording.js';
import { cell, code, fence } from './render-markdown.js';
import { rolloutMarkdownLines } from './render-rollout.js';

export const GITHUB_COMMENT_LIMIT = 65_536;

/** The comment's first line, unseen on the page: a CI job finds its earlier comment by it and edits it (docs/ci.md). */
export const PULL_REQUEST_COMMENT_MARKER = '<!-- underlay-plan -->';

/** No one change's diff may take more than this: a long one is cut, and says so, so others still get theirs. */
const DETAILS_LIMIT = 12_000;

export interface PullRequestMarkdownOptions {
  registry: KindRegistry;
  /** The command line that prints all of it (as text or JSON), said when the comment had to be cut. */
  fullCommand: string;
  /** Characters the comment may take. */
  limit?: number;
}

function title(pr: PullRequestPlan): string[] {
  const h = pr.head.revision;
  const base = 'problem' in pr.base ? 'an unplanned base' : code(pr.base.revision.commit.slice(0, 12));
  return [
    PULL_REQUEST_COMMENT_MARKER,
    `## underlay plan for this pull request: ${base} → ${code(h.commit.slice(0, 12))}`,
    '',
    `Head ${code(h.commit)} (${code(h.ref)} from ${code(h.source)}), against ${snapshotLine(pr, 12, code)}.`,
    baseLine(pr, code),
  ];
}

function banners(pr: PullRequestPlan): string[] {
  const out: string[] = [];
  if (pr.head.revision.worktree) out.push('', '> [!CAUTION]', `> **${WORKTREE_BANNER}**`);
  if (pr.head.observation === 'none') out.push('', '> [!CAUTION]', `> **${EMPTY_NODES_BANNER}**`);
  if ('problem' in pr.base) out.push('', '> [!WARNING]', `> ${baseLine(pr)}`);
  return out;
}

function summary(pr: PullRequestPlan): string[] {
  return ['', `**${pullRequestSummaryLine(pr)}**`, '', headSummaryLine(pr)];
}

function groupRow(g: ChangeGroup): BudgetItem {
  const symbol = ACTION_SYMBOL[g.action];
  const differs = g.differs ? ` (differs from the base in ${g.differs.join(', ')})` : '';
  const same = g.targets.length > 1 ? ', same change' : '';
  const line = `| ${MARK_WORD[g.mark]} | ${cell(groupTargets(g))} | ${symbol} ${g.action} | ${code(cell(g.key))} | ${cell(g.reason)}${same}${differs} |`;
  return { lines: [line], weight: g.changeIds.length };
}

const TABLE_HEAD = ['| | Targets | Action | Resource | Reason |', '|---|---|---|---|---|'];

/** A group's diff, collapsed; cut (saying so) past DETAILS_LIMIT. */
function detailsItem(g: ChangeGroup, change: MarkedChange, registry: KindRegistry): BudgetItem | null {
  const d = pullRequestDetails(change, registry);
  if (d.attributes.length === 0 && d.content.length === 0) return null;
  const body = [...d.attributes.map((a) => `# ${a}`)];
  let size = linesSize(body);
  let shown = 0;
  for (const l of d.content) {
    if (size + l.length + 1 > DETAILS_LIMIT) break;
    body.push(l);
    size += l.length + 1;
    shown++;
  }
  if (shown < d.content.length) body.push(`# … ${d.content.length - shown} more line(s) not shown here (see the full plan)`);
  const f = fence(body);
  const summary = `${MARK_WORD[g.mark]}: ${ACTION_SYMBOL[g.action]} ${g.action} <code>${g.key.replaceAll('<', '&lt;')}</code> on ${groupTargets(g, 120).replaceAll('<', '&lt;')}`;
  return { lines: ['', `<details><summary>${summary}</summary>`, '', `${f}diff`, ...body, f, '', '</details>'], weight: 1 };
}

function blastRadiusItems(pr: PullRequestPlan): BudgetItem[] {
  return pr.blastRadius.map((r) => ({ lines: [`| ${cell(r.cluster)} | ${cell(blastRadiusLine(r))} |`], weight: 1 }));
}

/** The head's rollout batch by batch, as its plan shows it (render-rollout.ts): whole, or left out. */
function batchesItem(pr: PullRequestPlan): BudgetItem[] {
  const lines = rolloutMarkdownLines(pr.head.rollout, headChanges(pr));
  return lines.length > 0 ? [{ lines, weight: 1 }] : [];
}

function warningItems(pr: PullRequestPlan): BudgetItem[] {
  const warnings = (pr.head.warnings ?? []).map((w) => ({ lines: ['', '> [!WARNING]', `> ${w}`], weight: 1 }));
  const decommissioned = (pr.head.decommissioned ?? []).map((d) => ({ lines: ['', '> [!NOTE]', `> ${decommissionLine(d)}`], weight: 1 }));
  return [...warnings, ...decommissioned];
}

interface Omitted {
  rows: FittedSection;
  details: FittedSection;
  rollout: FittedSection;
  batches: FittedSection;
  warnings: FittedSection;
  pending: FittedSection;
}

function omissions(o: Omitted): string[] {
  const out: string[] = [];
  if (o.rows.omitted > 0) out.push(`${o.rows.omitted} row(s) of this pull request's changes (${o.rows.omittedWeight} change(s))`);
  if (o.details.omitted > 0) out.push(`the diffs of ${o.details.omitted} row(s)`);
  if (o.rollout.omitted > 0) out.push(`the blast radius of ${o.rollout.omitted} cluster(s)`);
  if (o.batches.omitted > 0) out.push("the rollout's batches");
  if (o.warnings.omitted > 0) out.push(`${o.warnings.omitted} warning(s) or note(s)`);
  if (o.pending.omitted > 0) out.push(`${o.pending.omitted} row(s) of changes pending on the base (${o.pending.omittedWeight} change(s))`);
  return out;
}

function cutNote(left: string[], options: PullRequestMarkdownOptions, limit: number): string[] {
  if (left.length === 0) return [];
  return ['', '> [!NOTE]', `> This comment was shortened to fit the ${limit}-character limit of a comment. Left out: ${left.join('; ')}.`, `> All of it: ${code(options.fullCommand)} (or ${code('--output json')} for machines)`];
}

function footer(pr: PullRequestPlan): string[] {
  const base = 'problem' in pr.base ? '' : ` · base plan hash ${code(pr.base.planHash)}`;
  return ['', `<sub>Head plan hash ${code(pr.head.planHash)}${base}</sub>`];
}

/** The worst note: every count as large as it can be, so the room kept for it is always enough. */
function noteRoom(pr: PullRequestPlan, options: PullRequestMarkdownOptions, limit: number): number {
  const all = { shown: [], omitted: pr.changes.length + pr.groups.length + pr.blastRadius.length + 99, omittedWeight: pr.changes.length, lines: [] };
  return linesSize(cutNote(omissions({ rows: all, details: all, rollout: all, batches: all, warnings: all, pending: all }), options, limit));
}

/**
 * The order rows are given room when not all fit: by mark, then the rows that stand for the most changes (the
 * same restart on 2,000 nodes before one node's file), then as listed. Shown rows keep the listing's order.
 */
function widestFirst(groups: readonly ChangeGroup[]): number[] {
  const mark = (g: ChangeGroup) => MARKS.indexOf(g.mark);
  return [...groups.keys()].sort((a, b) => mark(groups[a]!) - mark(groups[b]!) || groups[b]!.changeIds.length - groups[a]!.changeIds.length || a - b);
}

function pendingSection(items: BudgetItem[]): { head: string[]; items: BudgetItem[]; tail: string[]; prefixOnly: true } {
  const head = ['', '### Pending on the base already', '', '<details><summary>Changes the base plans too, alike: not this pull request\'s</summary>', '', ...TABLE_HEAD];
  return { head, items, tail: ['', '</details>'], prefixOnly: true };
}

export function renderPullRequestMarkdown(pr: PullRequestPlan, options: PullRequestMarkdownOptions): string {
  const limit = options.limit ?? GITHUB_COMMENT_LIMIT;
  const changeById = new Map(pr.changes.map((m) => [m.change.id, m]));
  const own = pr.groups.filter((g) => g.mark !== 'unchanged');
  const top = [...title(pr), ...banners(pr)];
  const bottom = footer(pr);
  const fixed = linesSize(top) + linesSize(summary(pr)) + linesSize(bottom);
  const budget = new CommentBudget(limit - fixed - noteRoom(pr, options, limit));
  // The blast radius is short and says how much is at stake; warnings may be many, so they get a quarter;
  // the batch tables of the rollout come after the rows, before the diffs.
  const rollout = budget.fit({ head: ['', '### Blast radius', '', '| Cluster | Blast radius |', '|---|---|'], items: blastRadiusItems(pr), prefixOnly: true });
  const warnings = budget.fit({ head: [], items: warningItems(pr) }, Math.floor(budget.room / 4));
  const rows = budget.fit({ head: ['', '### What this pull request changes', '', `<sub>${MARK_LEGEND}</sub>`, '', ...TABLE_HEAD], items: own.map(groupRow), prefixOnly: true, priority: widestFirst(own) });
  const batches = budget.fit({ head: [], items: batchesItem(pr) });
  const details = budget.fit({ head: [], items: rows.shown.map((i) => own[i]!).flatMap((g) => detailsItem(g, changeById.get(g.changeIds[0]!)!, options.registry) ?? []) });
  const pendingGroups = pr.groups.filter((g) => g.mark === 'unchanged');
  const pending = budget.fit({ ...pendingSection(pendingGroups.map(groupRow)), priority: widestFirst(pendingGroups) });
  const note = cutNote(omissions({ rows, details, rollout, batches, warnings, pending }), options, limit);
  const out = [...top, ...warnings.lines, ...summary(pr), ...rows.lines, ...details.lines, ...rollout.lines, ...batches.lines, ...pending.lines, ...note, ...bottom];
  return `${out.join('\n')}\n`;
}
