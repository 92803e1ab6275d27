/**
 * A decommissioned node (Node.spec.decommission) is dismantled last: the staying members of the clusters it
 * leaves stop using it first (their peer lists and backends drop it, a guarded `member remove` runs), then
 * what underlay manages on it is removed. The plan says, for each, what is left to do, and when nothing is:
 * then its Node document (and with it its pinned key) can be deleted.
 */
import type { Change } from '../model/change.js';
import type { Desired } from '../model/desired.js';
import type { Inventory } from '../model/observed.js';
import type { DecommissionReport } from '../model/plan.js';
import { targetLabel } from '../model/target.js';

/** Edges from each decommissioned node's changes to the changes of the staying members of the clusters it leaves. */
export function dismantleLast(desired: Desired, changes: readonly Change[]): void {
  const leaving = desired.nodes.filter((n) => n.decommission !== undefined);
  if (leaving.length === 0) return;
  const members = new Map(desired.clusters.map((c) => [c.name, c.nodes]));
  const byNode = new Map<string, Change[]>();
  for (const c of changes) {
    if (c.target.type !== 'node') continue;
    const list = byNode.get(c.target.name);
    if (list) list.push(c);
    else byNode.set(c.target.name, [c]);
  }
  for (const node of leaving) {
    const own = byNode.get(node.name) ?? [];
    if (own.length === 0) continue;
    const staying = new Set((node.decommission?.leaving ?? []).flatMap((cluster) => members.get(cluster) ?? []));
    const first = [...staying].flatMap((n) => byNode.get(n) ?? []).map((c) => c.id);
    for (const c of own) c.dependsOn.push(...first);
  }
}

/**
 * Where each decommissioned node stands. `deletable` only for a node that was observed: an unobserved one
 * (the empty inventory, or unreachable) may still hold what underlay made.
 */
export function decommissionReports(desired: Desired, inventory: Inventory, changes: readonly Change[]): DecommissionReport[] {
  const out: DecommissionReport[] = [];
  for (const node of desired.nodes) {
    if (node.decommission === undefined) continue;
    const remaining = changes.filter((c) => targetLabel(c.target) === node.name).length;
    const observed = inventory.nodes[node.name]?.reachable === true;
    out.push({ node: node.name, leaving: [...node.decommission.leaving], remainingChanges: remaining, deletable: observed && remaining === 0 });
  }
  return out;
}

/** One line per decommissioned node, for the text and Markdown plans. */
export function decommissionLine(r: DecommissionReport): string {
  const left = r.leaving.length > 0 ? ` (leaves ${r.leaving.join(', ')})` : '';
  if (r.deletable) return `node ${r.node} is decommissioned${left}: underlay manages nothing on it any more; its Node document can be deleted`;
  if (r.remainingChanges > 0) return `node ${r.node} is decommissioned${left}: ${r.remainingChanges} change(s) dismantle it, after the staying members' changes; keep its Node document until a plan says it can go`;
  return `node ${r.node} is decommissioned${left}: it was not observed, so keep its Node document until a plan that observed it says it can go`;
}
