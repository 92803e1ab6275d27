/** What apply may touch: every node of the site, how to reach it, and which it must refuse. */
import type { Desired } from '../model/desired.js';
import type { ErrorRecord } from '../model/errors.js';
import type { Inventory } from '../model/observed.js';
import { bareNodes, misidentifiedNodes, unreachableNodes } from '../pipeline/node-findings.js';
import { unreadableZones } from '../pipeline/zone-findings.js';
import type { Spec } from '../spec/spec.js';
import type { NodeEndpoint } from '../transport/transport.js';
import { endpointOf } from '../observe/observe-site.js';
import type { ApplyNode } from './apply-plan.js';

/** How to reach every node of the site (bastions included), from its documents alone: what the leases need. */
export function siteEndpoints(spec: Spec): NodeEndpoint[] {
  const nodes = bareNodes(spec);
  const byName = new Map(nodes.map((n) => [n.name, n]));
  return nodes.map((n) => endpointOf(n, byName));
}

/**
 * What apply needs per node (with a node whose managed record is unusable, or names another owner, refused),
 * and the nodes the observation could not reach and zones it could not read (with why).
 */
export function applyTargets(desired: Desired, inventory: Inventory): { nodes: Record<string, ApplyNode>; unreachable: Record<string, ErrorRecord> } {
  const byName = new Map(desired.nodes.map((n) => [n.name, n]));
  const unreachable = unreachableNodes(desired, inventory);
  const misidentified = misidentifiedNodes(desired, inventory);
  const nodes: Record<string, ApplyNode> = {};
  for (const node of desired.nodes) {
    if (node.name in unreachable) continue;
    const observed = inventory.nodes[node.name];
    const problem = observed?.managedRecordProblem;
    const refused = misidentified[node.name] ?? (problem?.code === 'ManagedRecordCorrupt' ? { code: problem.code, message: problem.message } : undefined);
    nodes[node.name] = {
      endpoint: endpointOf(node, byName),
      serviceManager: node.serviceManager,
      ...(refused !== undefined ? { refused } : {}),
      ...(problem?.code === 'ManagedRecordRestored' || observed?.owner === 'none' ? { rewriteManagedRecord: true } : {}),
    };
  }
  // A zone that could not be read fails the run as an unreachable node does: nothing of it was planned.
  return { nodes, unreachable: { ...unreachable, ...unreadableZones(inventory) } };
}
