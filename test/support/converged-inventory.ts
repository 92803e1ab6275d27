/**
 * Test helpers: the inventory of a site as if it had converged and nothing else had changed.
 * - convergedInventory: a site converged at a Desired: every node holding exactly its resources as planned
 *   (managed record included) and every zone holding its records. What golden scenarios and plan tests start
 *   from to show the plan of the next commit alone.
 * - convergedInventoryOfPlan: the nodes after a plan made against empty nodes was applied and observed: each
 *   created file, directory and service observed as wanted and recorded as managed with its desired hash.
 *   Pull-request plans are made against such a snapshot of the base.
 */
import type { Desired } from '../../controller/model/desired.js';
import { renderServiceDefinition } from '../../reconcilers/service/definition.js';
import { appliedNode, inventory } from './build-desired.js';
import { INVENTORY_API_VERSION, type Inventory, type InventoryNode, type ObservedResource } from '../../controller/model/observed.js';
import type { Change } from '../../controller/model/change.js';
import type { Plan } from '../../controller/model/plan.js';

export function convergedInventory(d: Desired, observedAt?: string): Inventory {
  const hash = (s: Parameters<typeof renderServiceDefinition>[0]) => renderServiceDefinition(s, 'runit').hash;
  const inv = inventory(Object.fromEntries(d.nodes.map((n) => [n.name, appliedNode(n.resources, hash)])), observedAt);
  for (const s of d.services) {
    if (s.target.type !== 'zone') continue;
    const spec = s.spec as unknown as { name: string; type: string; value: string };
    (inv.zones[s.target.name] ??= { records: {} }).records[`${spec.name}/${spec.type}`] = spec.value;
  }
  return inv;
}

function observedAfter(c: Change): ObservedResource {
  const a = c.after ?? {};
  if (c.kind === 'file') return { kind: 'file', path: a.path, exists: true, sha256: a.sha256, size: a.size, mode: a.mode, owner: a.owner, group: a.group };
  if (c.kind === 'directory') return { kind: 'directory', path: a.path, exists: true, mode: a.mode, owner: a.owner, group: a.group };
  if (c.kind === 'service') return { kind: 'service', name: a.name, exists: true, definitionHash: a.definitionHash, running: true, enabled: true };
  throw new Error(`converged-inventory does not know how a ${c.kind} is observed`);
}

export function convergedInventoryOfPlan(plan: Plan, nodes: readonly string[]): Inventory {
  const out: Record<string, InventoryNode> = {};
  for (const name of nodes) out[name] = { reachable: true, facts: {}, managed: {}, resources: {} };
  for (const c of plan.changes) {
    if (c.action !== 'create' || c.target.type !== 'node' || !c.desiredHash) continue;
    const node = out[c.target.name]!;
    node.resources[c.key] = observedAfter(c);
    node.managed[c.key] = { hash: c.desiredHash };
  }
  return { apiVersion: INVENTORY_API_VERSION, kind: 'Inventory', observedAt: '2026-01-01T00:00:00Z', nodes: out, pools: {}, zones: {} };
}
