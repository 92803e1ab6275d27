/**
 * Test helper: the inventory of nodes that match a plan made against empty nodes, as if it had been applied
 * and observed: each created file, directory and service observed as wanted, and recorded as managed with
 * its desired hash. Pull-request plans are made against such a snapshot of the base.
 */
import { INVENTORY_API_VERSION, type Inventory, type InventoryNode, type ObservedResource } from '../../controller/model/observed.js';
import type { Change } from '../../controller/model/change.js';
import type { Plan } from '../../controller/model/plan.js';

function observedAfter(c: Change): ObservedResource {
  const a = c.after ?? {};
  if (c.kind === 'file') return { kind: 'file', path: a.path, exists: true, sha256: a.sha256, size: a.size, mode: a.mode, owner: a.owner, group: a.group };
  if (c.kind === 'directory') return { kind: 'directory', path: a.path, exists: true, mode: a.mode, owner: a.owner, group: a.group };
  if (c.kind === 'service') return { kind: 'service', name: a.name, exists: true, definitionHash: a.definitionHash, running: true, enabled: true };
  throw new Error(`converged-inventory does not know how a ${c.kind} is observed`);
}

export function convergedInventory(plan: Plan, nodes: readonly string[]): Inventory {
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
