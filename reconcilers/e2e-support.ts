/**
 * For the end-to-end tests on real test hosts: converge one resource the way the product does (probe,
 * diff, apply with the managed record kept as the apply engine keeps it) so tests state only what they check.
 */
import type { InventoryNode } from '../controller/model/observed.js';
import { managedUpdateAfter, managedUpdateBefore } from '../controller/apply/managed-record-keeper.js';
import { observeNode } from '../controller/observe/observe-site.js';
import type { Change } from '../controller/model/change.js';
import { resourceHash } from '../controller/plan/resource-hash.js';
import type { DesiredNode, DesiredResource } from '../controller/model/desired.js';
import type { NodeEndpoint, Transport } from '../controller/transport/transport.js';
import { effectsOf } from './effects.js';
import { nodeManagedRecord } from './managed-record.js';
import type { ApplyContext } from './kind-effects.js';
import { registry } from './registry.js';

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
  return observeNode({ registry, transport: n.transport, endpoint: n.endpoint, node: desiredNodeOf(n, resources), managedHint: extraKeys, timeoutMs: 60_000 });
}

/**
 * Probes, diffs and applies one resource (`desired: null` prunes `key`). Returns the change, or null when
 * the diff found nothing to do.
 */
export async function converge(
  n: TestNode,
  target: { resource: DesiredResource } | { key: string; kind: string },
  action?: 'restart',
): Promise<Change | null> {
  const key = 'resource' in target ? target.resource.key : target.key;
  const kind = 'resource' in target ? target.resource.spec.kind : target.kind;
  const spec = 'resource' in target ? target.resource.spec : null;
  const observed = await observe(n, 'resource' in target ? [target.resource] : [], [key]);
  const definition = registry.nodeKind(kind)!;
  const effects = effectsOf(kind)!;
  const desiredHash = spec ? resourceHash(definition, spec) : undefined;
  const result =
    action === 'restart'
      ? { action: 'restart' as const, reason: 'test', before: null, after: { name: key.slice(key.indexOf(':') + 1) } }
      : definition.diff({ desired: spec, observed: observed.resources[key], managedHash: observed.managed[key]?.hash, desiredHash: desiredHash === undefined ? undefined : () => desiredHash, serviceManager: n.serviceManager });
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
  const before = managedUpdateBefore(registry, change);
  if (before) await nodeManagedRecord.update(ctx, [before]);
  await effects.apply(ctx, change);
  const after = managedUpdateAfter(registry, change);
  if (after) await nodeManagedRecord.update(ctx, [after]);
  return change;
}
