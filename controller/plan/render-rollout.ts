/**
 * The plan's rollout for people: per cluster, its policy, then each batch with its nodes, gates, soak,
 * deadline and blast radius (members down at once, as a share of the cluster), and the nodes held back.
 * In its own file so the text and Markdown renderers share one reading of the intents.
 */
import type { Change } from '../model/change.js';
import type { BatchIntent, RolloutIntents, RolloutOrder } from '../model/rollout.js';
import { byCodeUnit } from '../model/order.js';
import { rolloutGateLines } from './rollout-gates-lines.js';

const list = (nodes: readonly string[]): string => (nodes.length === 0 ? 'none' : nodes.join(', '));

export function orderLabel(order: RolloutOrder): string {
  if (order === 'name') return 'by name';
  if ('label' in order) return `by label ${order.label}, one failure domain at a time`;
  return `explicit (${list(order.explicit)}), then by name`;
}

/** "2 of 10 (20%)": the share of the cluster the batch has down at once, counting the members already down. */
export function blastRadius(intents: RolloutIntents, batch: BatchIntent): string {
  const share = intents.members === 0 ? 0 : Math.round((batch.downAtOnce * 100) / intents.members);
  return `${batch.downAtOnce} of ${intents.members} (${share}%)`;
}

function policyLine(ro: RolloutIntents): string {
  return (
    `${ro.cluster}: ${ro.batches.length} batch(es) ${orderLabel(ro.order)}, maxUnavailable ${ro.maxUnavailable} of ${ro.members}, ` +
    `failure budget ${ro.failureBudget} across the rollout (then ${ro.onFailure}), rollback ${ro.rollback}`
  );
}

const batchName = (b: BatchIntent): string => `batch ${b.batch}${b.canary ? ' (canary)' : ''}${b.domain !== undefined ? ` [${b.domain}]` : ''}`;

/**
 * What makes the rollout: the disruptive changes of its members, by kind and action (a restart, a running
 * service updated, a certificate rotated, a file or command the module marks disruptive).
 */
function disruptiveLine(ro: RolloutIntents, changes: readonly Change[]): string {
  const members = new Set([...ro.batches.flatMap((b) => b.nodes), ...ro.held]);
  const counts = new Map<string, number>();
  for (const c of changes) {
    if (!c.disruptive || c.target.type !== 'node' || !members.has(c.target.name) || (c.cluster !== undefined && c.cluster !== ro.cluster)) continue;
    const what = `${c.kind} ${c.action}`;
    counts.set(what, (counts.get(what) ?? 0) + 1);
  }
  const parts = [...counts].sort(([a], [b]) => byCodeUnit(a, b)).map(([what, n]) => `${what} ×${n}`);
  return `disruptive: ${parts.join(', ')} (with the changes they wait for; the members' other changes are not held back by the batches)`;
}

function heldLine(ro: RolloutIntents): string {
  return `held: ${list(ro.held)} (maxUnavailable used up by members already down: ${list(ro.unavailable)})`;
}

export function rolloutTextLines(rollout: readonly RolloutIntents[], changes: readonly Change[]): string[] {
  if (rollout.length === 0) return [];
  const out = ['', 'Rollout (disruptive changes, batch by batch):'];
  for (const ro of rollout) {
    out.push(`  ${policyLine(ro)}`, `    ${disruptiveLine(ro, changes)}`);
    if (ro.unavailable.length > 0) out.push(`    already down: ${list(ro.unavailable)}`);
    for (const b of ro.batches) {
      out.push(`    ${batchName(b)}: ${list(b.nodes)}  down at once ${blastRadius(ro, b)}  gates ${b.gates.join(', ')}  deadline ${b.deadlineSeconds}s  soak ${b.soakSeconds}s`);
    }
    if (ro.held.length > 0) out.push(`    ${heldLine(ro)}`);
    for (const line of rolloutGateLines(ro)) out.push(`    ${line}`);
  }
  return out;
}

/** Declared argv and URLs go into list items: no backticks, pipes or line breaks that would change the Markdown. */
const markdownText = (text: string): string => text.replaceAll('\\', '\\\\').replaceAll('`', "'").replaceAll('|', '\\|').replaceAll(/\r?\n/g, ' ');

/** Table cells cannot hold pipes; node names and gate names never do, the rest is ours. */
export function rolloutMarkdownLines(rollout: readonly RolloutIntents[], changes: readonly Change[]): string[] {
  if (rollout.length === 0) return [];
  const out = ['', '### Rollout'];
  for (const ro of rollout) {
    out.push('', `**${policyLine(ro)}**`, '', disruptiveLine(ro, changes), '', '| Batch | Nodes | Down at once | Gates | Deadline | Soak |', '|---|---|---|---|---|---|');
    for (const b of ro.batches) out.push(`| ${batchName(b)} | ${list(b.nodes)} | ${blastRadius(ro, b)} | ${b.gates.join(', ')} | ${b.deadlineSeconds}s | ${b.soakSeconds}s |`);
    if (ro.unavailable.length > 0) out.push('', `Already down: ${list(ro.unavailable)}`);
    if (ro.held.length > 0) out.push('', `> [!WARNING]`, `> ${heldLine(ro)}`);
    const gates = rolloutGateLines(ro);
    if (gates.length > 0) out.push('', 'Gates and drain steps, per node:', '', ...gates.map((line) => `- ${markdownText(line)}`));
  }
  return out;
}
