/**
 * The plan for a pull-request comment: a heading with the revision and summary, one table per node (changes in dependency order), and
 * content in collapsed <details> blocks so a long plan stays readable.
 */
import type { Plan } from '../model/plan.js';
import type { Change } from '../model/change.js';
import type { KindRegistry } from '../../reconcilers/registry.js';
import { decommissionLine } from './decommission.js';
import { rolloutMarkdownLines } from './render-rollout.js';
import { ACTION_SYMBOL, changeDetails, changesByNode, EMPTY_NODES_BANNER, summaryLine, unverifiedReason, WORKTREE_BANNER } from './change-details.js';

/** Table cells cannot hold pipes or line breaks; backticks would open code spans. */
export function cell(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('|', '\\|').replaceAll('`', "'").replaceAll(/\r?\n/g, ' ');
}

export function code(text: string): string {
  return `\`${text.replaceAll('`', "'")}\``;
}

/** A fence longer than any backtick run in the content, so content can never close it. */
export function fence(lines: string[]): string {
  let longest = 2;
  for (const l of lines) for (const m of l.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  return '`'.repeat(longest + 1);
}

function detailsBlock(c: Change, registry: KindRegistry): string[] {
  const d = changeDetails(c, registry);
  if (d.attributes.length === 0 && d.content.length === 0) return [];
  const body = [...d.attributes.map((a) => `# ${a}`), ...d.content];
  const f = fence(body);
  return ['', `<details><summary>${ACTION_SYMBOL[c.action]} ${c.action} <code>${c.key.replaceAll('<', '&lt;')}</code></summary>`, '', `${f}diff`, ...body, f, '', '</details>'];
}

export function renderMarkdown(plan: Plan, options: { registry: KindRegistry }): string {
  const r = plan.revision;
  const out: string[] = [`## underlay plan for ${code(r.commit.slice(0, 12))}`, '', `Revision ${code(r.commit)} (${code(r.ref)} from ${code(r.source)})`];
  if (r.worktree) out.push('', '> [!CAUTION]', `> **${WORKTREE_BANNER}**`);
  if (plan.observation === 'none') out.push('', '> [!CAUTION]', `> **${EMPTY_NODES_BANNER}**`);
  for (const w of plan.warnings ?? []) out.push('', '> [!WARNING]', `> ${w}`);
  for (const d of plan.decommissioned ?? []) out.push('', '> [!NOTE]', `> ${decommissionLine(d)}`);
  out.push('', `**${summaryLine(plan.summary)}**`);
  if (plan.changes.length === 0) {
    // Unless every node was observed, nobody knows whether every node matches: say less.
    const unverified = unverifiedReason(plan);
    out.push('', unverified ? `No changes planned for revision ${code(r.commit)}, but ${unverified}.` : `No changes. The nodes match revision ${code(r.commit)}.`);
  }
  for (const [node, changes] of changesByNode(plan.changes, options.registry)) {
    out.push('', `### ${node}`, '', '| | Action | Resource | Reason |', '|---|---|---|---|');
    for (const c of changes) out.push(`| ${ACTION_SYMBOL[c.action]} | ${c.action} | ${code(cell(c.key))} | ${cell(c.reason)} |`);
    for (const c of changes) out.push(...detailsBlock(c, options.registry));
  }
  out.push(...rolloutMarkdownLines(plan.rollout, plan.changes));
  out.push('', `<sub>Plan hash ${code(plan.hash)}</sub>`);
  return `${out.map((l) => l.trimEnd()).join('\n')}\n`;
}
