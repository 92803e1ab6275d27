/**
 * The plan for a terminal, in the manner of `terraform plan`: changes grouped by node in dependency order,
 * each with its action, resource, reason and details, then the rollout and a summary line.
 */
import type { Plan } from '../model/plan.js';
import type { Change } from '../model/change.js';
import type { KindRegistry } from '../../reconcilers/registry.js';
import { decommissionLine } from './decommission.js';
import { rolloutTextLines } from './render-rollout.js';
import { ACTION_SYMBOL, changeDetails, changesByNode, EMPTY_NODES_BANNER, shownDependencies, summaryLine, unverifiedReason, WORKTREE_BANNER } from './change-details.js';

export interface TextRenderOptions {
  /** The resource kinds: each shows its own changes' details. */
  registry: KindRegistry;
  /** ANSI colours, for terminals only: files and CI logs get plain text. */
  color: boolean;
  /**
   * Only the revision, banners, warnings, rollout and summary, no change list: what `apply` prints before it
   * reports each change on one line as it is done (its --diff prints the whole plan instead).
   */
  headerOnly?: boolean;
}

const COLOR: Record<Change['action'], string> = { create: '32', update: '33', delete: '31', restart: '36', reload: '34', run: '35' };

function paint(on: boolean, code: string, text: string): string {
  return on ? `\u001b[${code}m${text}\u001b[0m` : text;
}

function contentLineColor(line: string): string {
  if (line.startsWith('@@')) return '36';
  if (line.startsWith('+')) return '32';
  if (line.startsWith('-')) return '31';
  return '0';
}

function renderChange(c: Change, byId: ReadonlyMap<string, Change>, { color, registry }: TextRenderOptions): string[] {
  const head = `  ${paint(color, COLOR[c.action], `${ACTION_SYMBOL[c.action]} ${c.action}`)} ${c.key}`;
  const owner = c.cluster ? ` [${c.cluster}/${c.step}]` : '';
  // Said so: a controller's reconcile leaves this change to the drift policy (ADR 0028).
  const drift = c.drift ? ' (drift: back to what underlay applied)' : '';
  const lines = [`${head}${owner}`, `      ${c.reason}${drift}`];
  const details = changeDetails(c, registry);
  for (const a of details.attributes) lines.push(`      ${a}`);
  for (const l of details.content) lines.push(`      ${paint(color, contentLineColor(l), l)}`.trimEnd());
  const after = shownDependencies(c, byId, registry);
  if (after.length > 0) lines.push(`      after ${after.join(', ')}`);
  return lines;
}

export function renderText(plan: Plan, options: TextRenderOptions): string {
  const { color } = options;
  const r = plan.revision;
  const out: string[] = [`Revision ${r.commit} (${r.ref} from ${r.source})`];
  if (r.worktree) out.push('', paint(color, '1;31', `!!! ${WORKTREE_BANNER} !!!`));
  if (plan.observation === 'none') out.push('', paint(color, '1;31', `!!! ${EMPTY_NODES_BANNER} !!!`));
  for (const w of plan.warnings ?? []) out.push('', paint(color, '33', `Warning: ${w}`));
  for (const d of plan.decommissioned ?? []) out.push('', `Decommission: ${decommissionLine(d)}`);
  if (plan.changes.length === 0) {
    // Unless every node was observed, nobody knows whether every node matches: say less.
    const unverified = unverifiedReason(plan);
    out.push('', unverified ? `No changes planned for revision ${r.commit}, but ${unverified}.` : `No changes. The nodes match revision ${r.commit}.`);
    return `${out.join('\n')}\n`;
  }
  const byId = new Map(plan.changes.map((c) => [c.id, c]));
  for (const [node, changes] of options.headerOnly ? [] : changesByNode(plan.changes, options.registry)) {
    out.push('', paint(color, '1', node));
    for (const c of changes) out.push(...renderChange(c, byId, options));
  }
  out.push(...rolloutTextLines(plan.rollout, plan.changes));
  out.push('', paint(color, '1', summaryLine(plan.summary)), `Plan hash ${plan.hash}`);
  return `${out.join('\n')}\n`;
}
