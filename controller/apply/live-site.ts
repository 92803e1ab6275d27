/**
 * The live half of the pipeline, shared by `apply` and `inventory`: a revision's nodes observed over the
 * transport, and planned exactly as `underlay plan --inventory` would plan against that snapshot.
 *
 * Resolve may need facts only the nodes know (`{fact: ...}` inputs). When the first, fact-less resolve
 * leaves steps for plan time (pendingSteps), the nodes are probed for facts first, then resolved and
 * observed for real.
 */
import type { Inventory } from '../model/observed.js';
import { endpointOf, observeSite } from '../observe/observe-site.js';
import { planRevision, validateRevision } from '../pipeline/plan-revision.js';
import type { Plan } from '../model/plan.js';
import type { Desired, DesiredNode } from '../model/desired.js';
import { nodeEndpoint } from '../resolve/node-views.js';
import type { Revision } from '../source/revision.js';
import { siteIdOf, type Spec } from '../spec/spec.js';
import { recordOwnerFinding } from '../../reconcilers/managed-record-owner.js';
import { type Diagnostic, hasErrors } from '../spec/diagnostic.js';
import type { Clock } from '../clock.js';
import type { NodeEndpoint, Transport } from '../transport/transport.js';
import type { ServiceTargetProviders } from '../targets/target-providers.js';
import type { ApplyNode } from './apply-plan.js';
import type { KindRegistry } from '../../reconcilers/registry.js';

export interface LiveSiteOptions {
  revision: Revision;
  registry: KindRegistry;
  transport: Transport;
  /** The service targets observed along with the nodes (the pool ledger), if any. */
  targets?: ServiceTargetProviders;
  concurrency: number;
  clock: Clock;
}

export interface ObservedSite {
  desired: Desired | null;
  inventory: Inventory | null;
  diagnostics: Diagnostic[];
}

export async function observeLiveSite(options: LiveSiteOptions): Promise<ObservedSite> {
  const { revision, registry, transport, concurrency, clock } = options;
  const targets = options.targets ?? {};
  const first = validateRevision(revision);
  if (first.desired) {
    const inventory = await observeSite({ desired: first.desired, registry, transport, targets, concurrency, clock });
    const second = validateRevision(revision, inventory);
    return { desired: second.desired, inventory, diagnostics: second.diagnostics };
  }
  if (!first.spec || hasErrors(first.diagnostics) || first.pendingSteps.length === 0) return { desired: null, inventory: null, diagnostics: first.diagnostics };
  const spec = first.spec;
  const factProbe: Desired = { revision: spec.revision, site: siteIdOf(spec), nodes: bareNodes(spec), services: [], clusters: [] };
  const facts = await observeSite({ desired: factProbe, registry, transport, targets, concurrency, clock });
  const resolved = validateRevision(revision, facts);
  if (!resolved.desired) return { desired: null, inventory: facts, diagnostics: resolved.diagnostics };
  const inventory = await observeSite({ desired: resolved.desired, registry, transport, targets, concurrency, clock, previous: facts });
  const final = validateRevision(revision, inventory);
  return { desired: final.desired, inventory, diagnostics: final.diagnostics };
}

/** The site's nodes with nothing to do on them yet: enough to reach them, before anything is resolved. */
function bareNodes(spec: Spec): DesiredNode[] {
  return Object.keys(spec.nodes)
    .sort()
    .map((name) => ({ ...nodeEndpoint(spec, name, undefined), clusters: [], resources: [] }));
}

/** How to reach every node of the site (bastions included), from its documents alone: what the leases need. */
export function siteEndpoints(spec: Spec): NodeEndpoint[] {
  const nodes = bareNodes(spec);
  const byName = new Map(nodes.map((n) => [n.name, n]));
  return nodes.map((n) => endpointOf(n, byName));
}

export function planLiveSite(revision: Revision, inventory: Inventory, registry: KindRegistry): { plan: Plan | null; diagnostics: Diagnostic[] } {
  const { plan, diagnostics } = planRevision(revision, inventory, { registry });
  return { plan: hasErrors(diagnostics) ? null : plan, diagnostics };
}

/** The site's nodes the observation could not reach (a refused host key included), with why, by name. */
export function unreachableNodes(desired: Desired, inventory: Inventory): Record<string, string> {
  const unreachable: Record<string, string> = {};
  for (const node of desired.nodes) {
    const observed = inventory.nodes[node.name];
    if (observed && !observed.reachable) unreachable[node.name] = observed.error ?? 'not reachable';
  }
  return unreachable;
}

/**
 * Nodes that were observed but are not the node their document means, by the owner their managed record
 * names (NodeIdentityMismatch), with why: the plan leaves them out, apply refuses them.
 */
export function misidentifiedNodes(desired: Desired, inventory: Inventory): Record<string, string> {
  const refused: Record<string, string> = {};
  for (const node of desired.nodes) {
    const observed = inventory.nodes[node.name];
    if (!observed?.reachable) continue;
    const finding = recordOwnerFinding(desired.site, node.name, observed);
    if (finding?.code === 'NodeIdentityMismatch') refused[node.name] = `${finding.code}: ${finding.message}`;
  }
  return refused;
}

/**
 * What apply needs per node (with a node whose managed record is unusable, or names another owner, refused),
 * and the nodes the observation could not reach (with why).
 */
export function applyTargets(desired: Desired, inventory: Inventory): { nodes: Record<string, ApplyNode>; unreachable: Record<string, string> } {
  const byName = new Map(desired.nodes.map((n) => [n.name, n]));
  const unreachable = unreachableNodes(desired, inventory);
  const misidentified = misidentifiedNodes(desired, inventory);
  const nodes: Record<string, ApplyNode> = {};
  for (const node of desired.nodes) {
    if (node.name in unreachable) continue;
    const observed = inventory.nodes[node.name];
    const problem = observed?.managedRecordProblem;
    const refused = misidentified[node.name] ?? (problem?.code === 'ManagedRecordCorrupt' ? `${problem.code}: ${problem.message}` : undefined);
    nodes[node.name] = {
      endpoint: endpointOf(node, byName),
      serviceManager: node.serviceManager,
      ...(refused !== undefined ? { refused } : {}),
      ...(problem?.code === 'ManagedRecordRestored' || observed?.owner === 'none' ? { rewriteManagedRecord: true } : {}),
    };
  }
  return { nodes, unreachable };
}
