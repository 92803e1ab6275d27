/**
 * Small builders of Desired values and inventories for unit tests of the planner and the diffs, so a test
 * states only what it is about.
 */
import type {
  Desired,
  DesiredCommand,
  DesiredDirectory,
  DesiredFile,
  DesiredNode,
  DesiredResource,
  DesiredService,
  NodeResourceSpec,
} from '../../controller/resolve/desired.js';
import { fileSize } from '../../controller/resolve/desired.js';
import type { Inventory, InventoryNode, ObservedResource } from '../../controller/inventory/inventory.js';
import { resourceHash } from '../../controller/plan/resource-hash.js';
import { sha256 } from '../../controller/model/sha256.js';

export { sha256 };

export function file(path: string, content: string, attrs: Partial<Pick<DesiredFile, 'mode' | 'owner' | 'group'>> = {}): DesiredFile {
  return { kind: 'file', path, content, sha256: sha256(content), mode: '0644', owner: 'root', group: 'root', ...attrs };
}

/** A file given as `contentBase64`: exact bytes. */
export function binaryFile(path: string, bytes: Uint8Array, attrs: Partial<Pick<DesiredFile, 'mode' | 'owner' | 'group'>> = {}): DesiredFile {
  return { kind: 'file', path, contentBase64: Buffer.from(bytes).toString('base64'), sha256: sha256(bytes), mode: '0644', owner: 'root', group: 'root', ...attrs };
}

export function directory(path: string, attrs: Partial<Pick<DesiredDirectory, 'mode' | 'owner' | 'group'>> = {}): DesiredDirectory {
  return { kind: 'directory', path, mode: '0755', owner: 'root', group: 'root', ...attrs };
}

export function service(name: string, attrs: Partial<Omit<DesiredService, 'kind' | 'name'>> = {}): DesiredService {
  return { kind: 'service', name, command: `/usr/bin/${name}`, args: [], environment: {}, user: 'root', restart: 'always', enabled: true, restartOnChangeOf: [], ...attrs };
}

export function command(name: string, attrs: Partial<Omit<DesiredCommand, 'kind' | 'name'>> = {}): DesiredCommand {
  return { kind: 'command', name, argv: [`/usr/bin/${name}`], onChangeOf: [], ...attrs };
}

export function keyOf(spec: NodeResourceSpec): string {
  return spec.kind === 'file' || spec.kind === 'directory' ? `${spec.kind}:${spec.path}` : `${spec.kind}:${spec.name}`;
}

export function resource(spec: NodeResourceSpec, dependsOn: string[] = [], cluster = 'main'): DesiredResource {
  return { key: keyOf(spec), spec, dependsOn, origin: { cluster, step: 'base', module: 'base', location: { file: 'modules/base.yaml', line: 1, column: 1 } } };
}

export function node(name: string, resources: DesiredResource[], attrs: Partial<DesiredNode> = {}): DesiredNode {
  return {
    name,
    address: '192.0.2.1',
    port: 22,
    user: 'root',
    hostKey: 'ssh-ed25519 AAAA',
    serviceManager: 'runit',
    roles: [],
    labels: {},
    clusters: ['main'],
    resources: [...resources].sort((a, b) => (a.key < b.key ? -1 : 1)),
    ...attrs,
  };
}

export function desired(nodes: DesiredNode[], batchSize = 1): Desired {
  return {
    revision: { source: '/srv/site', ref: 'main', commit: 'c0ffee0000000000000000000000000000000000', worktree: false },
    site: 'default',
    nodes: [...nodes].sort((a, b) => (a.name < b.name ? -1 : 1)),
    services: [],
    clusters: [{ name: 'main', nodes: nodes.map((n) => n.name).sort(), batchSize, failureBudget: 0 }],
  };
}

/** What a node looks like right after a successful apply of these resources (services running). */
export function appliedNode(resources: DesiredResource[], serviceHash: (s: DesiredService) => string): InventoryNode {
  const node: InventoryNode = { reachable: true, facts: {}, managed: {}, resources: {} };
  for (const r of resources) {
    node.managed[r.key] = { hash: resourceHash(r.spec) };
    node.resources[r.key] = observedOf(r.spec, serviceHash);
  }
  return node;
}

function observedOf(spec: NodeResourceSpec, serviceHash: (s: DesiredService) => string): ObservedResource {
  switch (spec.kind) {
    case 'file':
      return { kind: 'file', path: spec.path, exists: true, sha256: spec.sha256, size: fileSize(spec), mode: spec.mode, owner: spec.owner, group: spec.group };
    case 'directory':
      return { kind: 'directory', path: spec.path, exists: true, mode: spec.mode, owner: spec.owner, group: spec.group };
    case 'service':
      return { kind: 'service', name: spec.name, exists: true, definitionHash: serviceHash(spec), running: spec.enabled, enabled: spec.enabled };
    case 'command':
      return { kind: 'command', name: spec.name, ...(spec.creates ? { createsExists: true } : {}), ...(spec.unless ? { unlessExitCode: 0 } : {}) };
    case 'certificate':
      return { kind: 'certificate', name: spec.name, exists: true };
  }
}

export function inventory(nodes: Record<string, InventoryNode>, observedAt = '2025-01-01T00:00:00Z'): Inventory {
  return { apiVersion: 'underlay.dev/v1alpha1', kind: 'Inventory', observedAt, nodes, services: { allocations: {}, dnsRecords: {} } };
}
