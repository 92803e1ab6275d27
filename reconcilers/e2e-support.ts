/**
 * For the end-to-end tests on real test hosts: converge one resource the way the product does (probe,
 * diff, apply with the managed record kept as the apply engine keeps it) so tests state only what they check.
 */
import type { InventoryNode } from '../controller/inventory/inventory.js';
import { managedUpdateAfter, managedUpdateBefore } from '../controller/apply/managed-record-keeper.js';
import { observeNode } from '../controller/observe/observe-site.js';
import type { Change } from '../controller/plan/plan.js';
import { resourceHash } from '../controller/plan/resource-hash.js';
import type { DesiredNode, DesiredResource, NodeResourceKind } from '../controller/resolve/desired.js';
import type { NodeEndpoint, Transport } from '../controller/transport/transport.js';
import { nodeManagedRecord } from './managed-record.js';
import type { ApplyContext } from './reconciler.js';
import { reconcilerFor } from './registry.js';

/** The site id these tests write into the records (no site document: nothing is loaded). */
const E2E_SITE = 'e2e';

export interface TestNode {
  transport: Transport;
  endpoint: NodeEndpoint;
  serviceManager: 'runit' | 'systemd';
}

export const ctxOf = (n: TestNode): ApplyContext => ({ transport: n.transport, node: n.endpoint, serviceManager: n.serviceManager });

export function desiredNodeOf(n: TestNode, resources: DesiredResource[]): DesiredNode {
  const { name, address, port, user, hostKey } = n.endpoint;
  return { name, address, port, user, hostKey, serviceManager: n.serviceManager, roles: [], labels: {}, clusters: ['main'], resources };
}

export function observe(n: TestNode, resources: DesiredResource[], extraKeys: string[] = []): Promise<InventoryNode> {
  return observeNode(n.transport, n.endpoint, desiredNodeOf(n, resources), extraKeys, 60_000);
}

/**
 * Probes, diffs and applies one resource (`desired: null` prunes `key`). Returns the change, or null when
 * the diff found nothing to do.
 */
export async function converge(
  n: TestNode,
  target: { resource: DesiredResource } | { key: string; kind: NodeResourceKind },
  action?: 'restart',
): Promise<Change | null> {
  const key = 'resource' in target ? target.resource.key : target.key;
  const kind = 'resource' in target ? target.resource.spec.kind : target.kind;
  const spec = 'resource' in target ? target.resource.spec : null;
  const observed = await observe(n, 'resource' in target ? [target.resource] : [], [key]);
  const reconciler = reconcilerFor(kind);
  const desiredHash = spec ? resourceHash(spec) : undefined;
  const result =
    action === 'restart'
      ? { action: 'restart' as const, reason: 'test', before: null, after: { name: key.slice(key.indexOf(':') + 1) } }
      : reconciler.diff({ desired: spec, observed: observed.resources[key], managedHash: observed.managed[key]?.hash, desiredHash, serviceManager: n.serviceManager });
  if (!result) return null;
  const change: Change = {
    id: `${n.endpoint.name}/${key}`,
    node: n.endpoint.name,
    kind,
    key,
    action: result.action,
    before: result.before,
    after: result.after,
    ...(desiredHash !== undefined && result.action !== 'restart' ? { desiredHash } : {}),
    reason: result.reason,
    dependsOn: [],
    disruptive: false,
  };
  const ctx = ctxOf(n);
  const record = nodeManagedRecord({ site: E2E_SITE });
  const before = managedUpdateBefore(change);
  if (before) await record.update(ctx, [before]);
  await reconciler.apply(ctx, change);
  const after = managedUpdateAfter(change);
  if (after) await record.update(ctx, [after]);
  return change;
}
