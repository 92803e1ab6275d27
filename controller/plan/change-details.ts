/**
 * What the text and Markdown renderers share, so both say the same thing: each change's details (its
 * kind's), the listing order, summary lines and banners.
 */
import type { Change } from '../model/change.js';
import { byCodeUnit } from '../model/order.js';
import type { Plan, PlanSummary } from '../model/plan.js';
import { sameTarget, targetLabel } from '../model/target.js';
import { NO_DETAILS } from '../../reconcilers/details-support.js';
import type { ChangeDetails } from '../../reconcilers/kind.js';
import type { KindRegistry } from '../../reconcilers/registry.js';
import { isTriggeredBy } from './node-changes.js';
import { planGraph } from './plan-graph.js';

/** What a reader needs to see about one change beyond its reason: its kind's details facet. */
export function changeDetails(c: Change, registry: KindRegistry): ChangeDetails {
  return registry.kindOf(c.kind)?.details(c) ?? NO_DETAILS;
}

export const ACTION_SYMBOL: Record<Change['action'], string> = { create: '+', update: '~', delete: '-', restart: '↻', reload: '↺', run: '»' };

/** Reloads are counted only when there are any, as PlanSummary holds them (see there). */
export function summaryLine(s: PlanSummary): string {
  const reloads = s.reload === undefined ? '' : ` ${s.reload} to reload,`;
  return `Plan: ${s.create} to create, ${s.update} to update, ${s.delete} to delete, ${s.restart} to restart,${reloads} ${s.run} to run.`;
}

/**
 * A plan's changes in dependency order (topological over its edges): directories before the files in them,
 * files before the services and commands that use them. The plan itself stays sorted by id (its JSON and
 * hash are fixed); only renderings list changes this way. A plan whose graph is broken keeps its own order.
 */
export function dependencyOrder(changes: readonly Change[], registry: KindRegistry): Change[] {
  // Among changes free to go in any order, the one a reader expects first: what others live in comes first.
  const rank = (c: Change): number => registry.kindOf(c.kind)?.order.rank ?? 0;
  const ranked = [...changes].sort((a, b) => rank(a) - rank(b));
  const graph = planGraph(ranked);
  if (!graph.ok) return [...changes];
  const byId = new Map(changes.map((c) => [c.id, c]));
  return graph.order.map((id) => byId.get(id)!);
}

/**
 * The changes a change's "after" line names. A command's names only the changes that trigger it (its
 * onChangeOf resources): its other edges order it after its step's content, which the dependency order of
 * the listing shows already, and on a command's line they read as causes.
 */
export function shownDependencies(c: Change, byId: ReadonlyMap<string, Change>, registry: KindRegistry): string[] {
  if (!registry.nodeKind(c.kind)?.trigger?.namesOnlyCauses) return c.dependsOn;
  return c.dependsOn.filter((id) => {
    const d = byId.get(id);
    return d !== undefined && sameTarget(d.target, c.target) && isTriggeredBy(c, d.key);
  });
}

/** Changes grouped by node (or service target), each group in dependency order. */
export function changesByNode(changes: readonly Change[], registry: KindRegistry): [string, Change[]][] {
  const groups = new Map<string, Change[]>();
  for (const c of dependencyOrder(changes, registry)) {
    const label = targetLabel(c.target);
    const g = groups.get(label);
    if (g) g.push(c);
    else groups.set(label, [c]);
  }
  return [...groups.entries()].sort(([a], [b]) => byCodeUnit(a, b));
}

export const EMPTY_NODES_BANNER =
  'PLANNED AGAINST EMPTY NODES: nothing was observed, so every resource is assumed missing and this plan says nothing about what is really on the nodes (give --inventory FILE, or --secrets-dir/--live to observe them).';

/** Why "the nodes match" cannot be said of an empty plan, or null when it can. */
export function unverifiedReason(plan: Pick<Plan, 'observation' | 'warnings'>): string | null {
  if (plan.observation === 'none') return 'nothing was observed (see the banner above)';
  if (plan.warnings?.length) return 'not every node was checked (see the warnings above)';
  return null;
}

export const WORKTREE_BANNER = 'UNCOMMITTED WORKTREE: this plan was made from files not committed to Git; nobody has reviewed them.';
