/**
 * Hashes of the inventory a plan was made against, so apply can refuse a plan when the nodes moved on.
 * `observedAt` is left out: observing the same state twice must give the same plan.
 */
import type { Inventory } from '../model/observed.js';
import { canonicalSha256 } from '../model/canonical-json.js';

export function inventoryHash(inventory: Inventory): string {
  const rest: Partial<Inventory> = { ...inventory };
  delete rest.observedAt;
  return canonicalSha256(rest, 3);
}

export function nodeInventoryHashes(inventory: Inventory): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(inventory.nodes).sort()) out[name] = canonicalSha256(inventory.nodes[name], 2);
  return out;
}
