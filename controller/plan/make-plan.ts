/**
 * The planner: Desired x Inventory -> Plan. Pure and deterministic: the same inputs give a byte-identical
 * plan, whatever order they were built in. `now` (for certificate renewal) is an input, never the clock.
 */
import type { Inventory, InventoryNode } from '../model/observed.js';
import type { Desired, DesiredNode } from '../model/desired.js';
import { resourceAddress } from '../model/resource-key.js';
import { canonicalSha256 } from '../model/canonical-json.js';
import { sha256 } from '../model/sha256.js';
import { DependencyMapper, orderNodeDeletes } from './dependencies.js';
import { inventoryHash, nodeInventoryHashes } from './inventory-hash.js';
import { nodeChanges } from './node-changes.js';
import { PLAN_API_VERSION, type Plan, type PlanSummary } from '../model/plan.js';
import type { Change } from '../model/change.js';
import { planRollout } from './rollout.js';
import { diffServiceResources, linkTargetServers } from './service-resources.js';
import { decommissionReports, dismantleLast } from './decommission.js';
import type { PlanScope } from '../../reconcilers/kind.js';
import { recordOwnerFinding } from '../../reconcilers/managed-record-owner.js';
import type { KindRegistry } from '../../reconcilers/registry.js';
import { byCodeUnit } from '../model/order.js';

export interface PlanOptions {
  /** The resource kinds: each diffs, orders and details its own resources (reconcilers/registry.ts). */
  registry: KindRegistry;
  /** ISO time used for expiry decisions; defaults to the inventory's observedAt. */
  now?: string;
  /** 'none' when the inventory was not observed but assumed empty (see Plan.observation). */
  observation?: Plan['observation'];
}

const byId = (a: Change, b: Change): number => byCodeUnit(a.id, b.id);

/** The count of changes by action (a plan of part of another, plan-part.ts, counts its own). */
export function summarise(changes: readonly Change[]): PlanSummary {
  const summary: PlanSummary = { create: 0, update: 0, delete: 0, restart: 0, run: 0 };
  for (const c of changes) summary[c.action] = (summary[c.action] ?? 0) + 1;
  return summary;
}

/** Sorted, without duplicates or self-edges; the lists are short, so sorting then skipping repeats beats a Set. */
function normaliseEdges(c: Change): void {
  const deps = c.dependsOn;
  if (deps.length === 0) return;
  const sorted = deps.filter((id) => id !== c.id).sort();
  let n = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[n - 1]) sorted[n++] = sorted[i]!;
  sorted.length = n;
  c.dependsOn = sorted;
}

/** State the diffs of one plan share, by key: built on first use, gone with the plan. */
function planScope(): PlanScope {
  const shared = new Map<object, unknown>();
  return {
    shared<T>(key: object, create: () => T): T {
      if (!shared.has(key)) shared.set(key, create());
      return shared.get(key) as T;
    },
  };
}

/**
 * What a reader must know about a node's observation, and whether it can be planned at all: not when it was
 * unreachable, when its managed record is beyond use, or when the record says it is another node.
 */
function observationNotes(site: string, name: string, inv: InventoryNode | undefined): { warnings: string[]; plannable: boolean } {
  if (inv && !inv.reachable) return { warnings: [`node ${name} was unreachable${inv.error ? ` (${inv.error})` : ''}: no changes planned for it`], plannable: false };
  const warnings: string[] = [];
  const recordProblem = inv?.managedRecordProblem;
  if (recordProblem) warnings.push(`node ${name}: ${recordProblem.code}: ${recordProblem.message}`);
  const ownership = recordOwnerFinding(site, name, inv);
  if (ownership) warnings.push(`node ${name}: ${ownership.code}: ${ownership.message}`);
  return { warnings, plannable: recordProblem?.code !== 'ManagedRecordCorrupt' && ownership?.code !== 'NodeIdentityMismatch' };
}

interface NodePlans {
  warnings: string[];
  /** By resource address (a restart's is its resource's): what the dependency mapper follows. */
  changesByAddress: Map<string, Change>;
  perNode: { node: DesiredNode; byKey: Map<string, Change>; list: Change[] }[];
  triggered: [Change, string[]][];
}

/** Each plannable node's changes, without the edges between them yet. */
function planNodes(desired: Desired, inventory: Inventory, context: Parameters<typeof nodeChanges>[2]): NodePlans {
  const out: NodePlans = { warnings: [], changesByAddress: new Map(), perNode: [], triggered: [] };
  for (const node of desired.nodes) {
    const inv = inventory.nodes[node.name];
    const observation = observationNotes(desired.site, node.name, inv);
    out.warnings.push(...observation.warnings);
    if (!observation.plannable) continue;
    const result = nodeChanges(node, inv, context);
    const list = [...result.byKey.values()];
    // A change's id is its resource's address unless it is a restart or reload: no second string per change.
    for (const c of list) out.changesByAddress.set(c.action === 'restart' || c.action === 'reload' ? resourceAddress(node.name, c.key) : c.id, c);
    for (const entry of result.triggeredBy) out.triggered.push(entry);
    out.perNode.push({ node, byKey: result.byKey, list });
  }
  const desiredNames = new Set(desired.nodes.map((n) => n.name));
  for (const name of Object.keys(inventory.nodes).sort()) {
    if (!desiredNames.has(name)) out.warnings.push(`node ${name} is in the inventory but not in Git: what underlay manages there is left alone`);
  }
  return out;
}

/** The edges among node changes: from the resources' dependencies, among deletes, and to what triggers a restart or re-run. */
function linkNodeChanges(nodes: NodePlans, desiredNodes: readonly DesiredNode[], registry: KindRegistry): void {
  const mapper = new DependencyMapper(desiredNodes, nodes.changesByAddress);
  for (const { node, byKey, list } of nodes.perNode) {
    if (list.length === 0) continue;
    // From the resources to their changes (one per key): a desired resource's change is never a delete.
    for (const r of node.resources) {
      if (r.dependsOn.length === 0) continue;
      const c = byKey.get(r.key);
      if (c) c.dependsOn.push(...mapper.changeIdsOf(r.dependsOn));
    }
    orderNodeDeletes(list, registry);
  }
  for (const [c, causes] of nodes.triggered) c.dependsOn.push(...causes);
}

export function makePlan(desired: Desired, inventory: Inventory, options: PlanOptions): Plan {
  const { registry } = options;
  const now = options.now ?? inventory.observedAt;
  const nodes = planNodes(desired, inventory, { registry, now, scope: planScope() });
  // Service changes by id: a node resource may wait for one (an address resource for its allocation).
  const services = diffServiceResources(desired, inventory, registry);
  linkTargetServers(services.changes, desired, nodes.changesByAddress, registry);
  for (const c of services.changes) nodes.changesByAddress.set(c.id, c);
  linkNodeChanges(nodes, desired.nodes, registry);

  const changes = nodes.perNode.flatMap(({ list }) => list);
  dismantleLast(desired, changes);
  changes.push(...services.changes);
  for (const c of changes) normaliseEdges(c);
  changes.sort(byId);

  const decommissioned = decommissionReports(desired, inventory, changes);
  const disrupted = new Set(changes.filter((c) => c.disruptive && c.target.type === 'node').map((c) => c.target.name));
  const body: Omit<Plan, 'hash'> = {
    apiVersion: PLAN_API_VERSION,
    kind: 'Plan',
    revision: desired.revision,
    inventoryHash: inventoryHash(inventory),
    nodeInventoryHashes: nodeInventoryHashes(inventory),
    changes,
    rollout: planRollout({ clusters: desired.clusters, nodes: desired.nodes, inventory }, disrupted),
    summary: summarise(changes),
    warnings: [...nodes.warnings, ...services.warnings].sort(),
    ...(options.observation ? { observation: options.observation } : {}),
    ...(decommissioned.length > 0 ? { decommissioned } : {}),
  };
  return { ...body, hash: planHash(body) };
}

/**
 * A change's `after.content` (or `after.contentBase64`: a file's) is left out of the hash input when its
 * `after.sha256`, hashed with the rest, stands for it. With large configuration files, content is most of a
 * first-apply plan's bytes; readPlanFile checks it against that sha256.
 */
function hashInputOf(c: Change): Change {
  const after = c.after;
  if (after === null || typeof after.sha256 !== 'string') return c;
  const text = typeof after.content === 'string';
  const bytes = typeof after.contentBase64 === 'string';
  if (!text && !bytes) return c;
  return { ...c, after: { ...after, ...(text ? { content: undefined } : {}), ...(bytes ? { contentBase64: undefined } : {}) } };
}

/** See Plan.hash; apply checks a plan with it before trusting it. */
export function planHash(plan: Omit<Plan, 'hash'> | Plan): string {
  const body: Partial<Plan> = { ...plan, changes: plan.changes.map(hashInputOf) };
  delete body.hash;
  return canonicalSha256(body, 2);
}

/** Ids of changes whose content is not what their `after.sha256` says: the plan hash binds only the latter. */
export function fileContentMismatches(plan: Pick<Plan, 'changes'>): string[] {
  const out: string[] = [];
  for (const c of plan.changes) {
    const after = c.after;
    // Without a sha256 the content itself is in the hash input.
    if (after === null || typeof after.sha256 !== 'string') continue;
    const text = typeof after.content === 'string' && sha256(after.content) !== after.sha256;
    const bytes = typeof after.contentBase64 === 'string' && sha256(Buffer.from(after.contentBase64, 'base64')) !== after.sha256;
    if (text || bytes) out.push(c.id);
  }
  return out;
}
