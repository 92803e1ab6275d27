/**
 * The site's DNS zones an observation could not read (server down, REFUSED, a bad key): like an unreachable
 * node, nothing is planned in them, the plan exits 1 and apply records them failed. Pure.
 */
import type { ErrorRecord } from '../model/errors.js';
import type { Inventory } from '../model/observed.js';
import { targetLabel } from '../model/target.js';

/** By target label (`zone:<name>`), with why. */
export function unreadableZones(inventory: Pick<Inventory, 'zones'>): Record<string, ErrorRecord> {
  const out: Record<string, ErrorRecord> = {};
  for (const [name, zone] of Object.entries(inventory.zones)) if (zone.unreadable) out[targetLabel({ type: 'zone', name })] = zone.unreadable;
  return out;
}
