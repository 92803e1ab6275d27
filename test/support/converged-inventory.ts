/**
 * Test helper: the inventory of a site as if it had converged at a Desired and nothing else had changed: every
 * node holding exactly its resources as planned (managed record included) and every zone holding its records.
 * What golden scenarios and plan tests start from to show the plan of the next commit alone, and the snapshot
 * pull-request plans are made against (test/pull-request-plans/).
 */
import type { Desired } from '../../controller/model/desired.js';
import { renderServiceDefinition } from '../../reconcilers/service/definition.js';
import { appliedNode, inventory } from './build-desired.js';
import type { Inventory } from '../../controller/model/observed.js';

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
