/**
 * What the pipeline knows of a site's nodes apart from their resources: how to reach them before anything
 * is resolved, and which of them an observation could not see, or found to be another machine. Pure: the
 * runtime's steps and the commands decide with these.
 */
import type { Desired, DesiredNode } from '../model/desired.js';
import type { ErrorRecord } from '../model/errors.js';
import type { Inventory } from '../model/observed.js';
import { nodeEndpoint } from '../resolve/node-views.js';
import type { Spec } from '../spec/spec.js';
import { recordOwnerFinding } from '../../reconcilers/managed-record-owner.js';

/** The site's nodes with nothing to do on them yet: enough to reach them, before anything is resolved. */
export function bareNodes(spec: Spec): DesiredNode[] {
  return Object.keys(spec.nodes)
    .sort()
    .map((name) => ({ ...nodeEndpoint(spec, name, undefined), clusters: [], resources: [] }));
}

/** The site's nodes the observation could not reach (a refused host key included), with why, by name. */
export function unreachableNodes(desired: Desired, inventory: Inventory): Record<string, ErrorRecord> {
  const unreachable: Record<string, ErrorRecord> = {};
  for (const node of desired.nodes) {
    const observed = inventory.nodes[node.name];
    // A snapshot from before errors had codes says only that the node was not reached.
    if (observed && !observed.reachable) unreachable[node.name] = { code: observed.errorCode ?? 'Unreachable', message: observed.error ?? 'not reachable' };
  }
  return unreachable;
}

/**
 * Nodes that were observed but are not the node their document means, by the owner their managed record
 * names (NodeIdentityMismatch), with why: the plan leaves them out, apply refuses them.
 */
export function misidentifiedNodes(desired: Desired, inventory: Inventory): Record<string, ErrorRecord> {
  const refused: Record<string, ErrorRecord> = {};
  for (const node of desired.nodes) {
    const observed = inventory.nodes[node.name];
    if (!observed?.reachable) continue;
    const finding = recordOwnerFinding(desired.site, node.name, observed);
    if (finding?.code === 'NodeIdentityMismatch') refused[node.name] = { code: finding.code, message: finding.message };
  }
  return refused;
}
