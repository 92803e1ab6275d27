/**
 * For the reconciler tests on real test hosts: one node converged the way `underlay apply` converges it
 * (observe, plan, then `applyPlan` with the node's managed record and a journal), so those tests exercise
 * the product's apply path instead of a copy of it, and state only what they check.
 */
import { applyPlan } from '../../controller/apply/apply-plan.js';
import type { ChangeSet } from '../../controller/apply/change-set.js';
import { applyTargets } from '../../controller/apply/apply-targets.js';
import { systemClock } from '../../controller/clock.js';
import type { Change } from '../../controller/model/change.js';
import type { Desired, DesiredResource } from '../../controller/model/desired.js';
import type { InventoryNode } from '../../controller/model/observed.js';
import { observeSite } from '../../controller/observe/observe-site.js';
import { makePlan } from '../../controller/plan/make-plan.js';
import { SqliteStore } from '../../controller/store/sqlite-store.js';
import type { NodeEndpoint, Transport } from '../../controller/transport/transport.js';
import { effectsOf } from '../../reconcilers/effects.js';
import type { NodeApplyContext } from '../../reconcilers/kind-effects.js';
import { nodeManagedRecord } from '../../reconcilers/managed-record.js';
import { registry } from '../../reconcilers/registry.js';
import { desired, node } from './build-desired.js';

export interface HostNode {
  transport: Transport;
  endpoint: NodeEndpoint;
  serviceManager: 'runit' | 'systemd';
}

export const ctxOf = (n: HostNode): NodeApplyContext => ({ transport: n.transport, node: n.endpoint, serviceManager: n.serviceManager });

function siteOf(n: HostNode, resources: readonly DesiredResource[]): Desired {
  const { name, address, port, user, hostKey } = n.endpoint;
  return desired([node(name, [...resources], { address, port, user, hostKey, serviceManager: n.serviceManager })]);
}

/** The node as `underlay inventory` sees it when Git holds `resources` for it (managed ones it lost included). */
export async function observe(n: HostNode, resources: readonly DesiredResource[]): Promise<InventoryNode> {
  const inventory = await observeSite({ desired: siteOf(n, resources), registry, transport: n.transport, concurrency: 1, clock: systemClock });
  return inventory.nodes[n.endpoint.name]!;
}

export interface Converged {
  /** What the plan said to do, in plan order. */
  changes: Change[];
  changeSet: ChangeSet;
}

/**
 * Makes `resources` all that underlay manages on the node: what is missing or different is created or
 * updated (and what depends on it restarted or re-run), and what it managed before but is not listed is pruned.
 */
export async function converge(n: HostNode, resources: readonly DesiredResource[]): Promise<Converged> {
  const site = siteOf(n, resources);
  const inventory = await observeSite({ desired: site, registry, transport: n.transport, concurrency: 1, clock: systemClock });
  const plan = makePlan(site, inventory, { registry });
  const { nodes, unreachable } = applyTargets(site, inventory);
  const store = SqliteStore.open({ file: ':memory:', clock: systemClock, site: site.site });
  try {
    const changeSet = await applyPlan({
      plan,
      nodes,
      unreachable,
      transport: n.transport,
      registry,
      effects: effectsOf,
      managedRecord: nodeManagedRecord({ site: site.site }, (name) => {
        const observed = inventory.nodes[name];
        return observed ? { entries: observed.managed, ...(observed.owner ? { owner: observed.owner } : {}) } : undefined;
      }),
      store,
      clock: systemClock,
      concurrency: 1,
    });
    return { changes: plan.changes, changeSet };
  } finally {
    await store.close();
  }
}

/** `action key` of each change, e.g. `create file:/etc/motd`: what a test compares a plan with. */
export const actionsOf = (c: Converged): string[] => c.changes.map((change) => `${change.action} ${change.key}`);

/** The error of each failed change, by key. */
export function failuresOf(c: Converged): Record<string, string> {
  return Object.fromEntries(c.changeSet.results.flatMap((r) => (r.outcome === 'failed' ? [[r.key, r.error]] : [])));
}
