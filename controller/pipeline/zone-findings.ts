/**
 * The site's DNS zones an observation could not read (server down, REFUSED, a bad key): like an unreachable
 * node, nothing is planned in them, the plan exits 1 and apply records them failed. Pure.
 */
import type { DesiredZone } from '../model/desired.js';
import type { ErrorRecord } from '../model/errors.js';
import type { Inventory, InventoryNode } from '../model/observed.js';
import { targetLabel } from '../model/target.js';

/** By target label (`zone:<name>`), with why. */
export function unreadableZones(inventory: Pick<Inventory, 'zones'>): Record<string, ErrorRecord> {
  const out: Record<string, ErrorRecord> = {};
  for (const [name, zone] of Object.entries(inventory.zones)) if (zone.unreadable) out[targetLabel({ type: 'zone', name })] = zone.unreadable;
  return out;
}

/**
 * Why a zone that could not be read is not served yet: the node of the site that runs its server was
 * observed and does not have the serving resource (`service:named`) at all, so no server holds any record
 * of this site's. Undefined when the zone has no such node, or the node was not observed, or it has the
 * resource (then an unread zone is an error, never an empty one).
 */
export function zoneNotServed(zone: DesiredZone, nodes: Readonly<Record<string, InventoryNode>>): string | undefined {
  const by = zone.servedBy;
  const node = by === undefined ? undefined : nodes[by.node];
  if (by === undefined || node?.reachable !== true) return undefined;
  const observed = node.resources[by.resource];
  if (observed !== undefined && observed.exists !== false) return undefined;
  return `its server ${by.node} does not run ${by.resource} yet`;
}
