/**
 * Small builders of Desired values and inventories for unit tests of the planner and the diffs, so a test
 * states only what it is about.
 */
import type { Desired, DesiredNode, DesiredResource, ResourceSpec } from '../../controller/model/desired.js';
import { INVENTORY_API_VERSION, type Inventory, type InventoryNode, type ObservedResource } from '../../controller/model/observed.js';
import { resourceKey } from '../../controller/model/resource-key.js';
import { DEFAULT_ROLLOUT_POLICY } from '../../controller/spec/rollout-policy.js';
import { resourceHash } from '../../controller/plan/resource-hash.js';
import { sha256 } from '../../controller/model/sha256.js';
import type { DesiredCertificate } from '../../reconcilers/certificate/schema.js';
import type { DesiredCommand } from '../../reconcilers/command/schema.js';
import type { DesiredDirectory } from '../../reconcilers/directory/schema.js';
import { type DesiredFile, fileSize } from '../../reconcilers/file/schema.js';
import type { NodeKind } from '../../reconcilers/kind.js';
import { registry } from '../../reconcilers/registry.js';
import type { DesiredService } from '../../reconcilers/service/schema.js';
import type { DesiredSymlink } from '../../reconcilers/symlink/schema.js';

/** The specs of the kinds these builders know. */
export type NodeResourceSpec = DesiredFile | DesiredDirectory | DesiredSymlink | DesiredService | DesiredCommand | DesiredCertificate;

/** A registered node kind, by name: a test site is made of those. */
export function kindNamed(name: string): NodeKind {
  const kind = registry.nodeKind(name);
  if (!kind) throw new Error(`no node kind ${name}`);
  return kind;
}
import { fixtureHostKey } from './site-files.js';

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

export function symlink(path: string, target: string, attrs: Partial<Pick<DesiredSymlink, 'owner' | 'group'>> = {}): DesiredSymlink {
  return { kind: 'symlink', path, target, owner: 'root', group: 'root', ...attrs };
}

export function service(name: string, attrs: Partial<Omit<DesiredService, 'kind' | 'name'>> = {}): DesiredService {
  return { kind: 'service', name, command: `/usr/bin/${name}`, args: [], environment: {}, user: 'root', restart: 'always', enabled: true, restartOnChangeOf: [], ...attrs };
}

export function command(name: string, attrs: Partial<Omit<DesiredCommand, 'kind' | 'name'>> = {}): DesiredCommand {
  return { kind: 'command', name, argv: [`/usr/bin/${name}`], onChangeOf: [], ...attrs };
}

/** The hash apply records for a spec (its kind's, as the planner computes it). */
export const hashOf = (spec: ResourceSpec): string => resourceHash(kindNamed(spec.kind), spec);

export function keyOf(spec: ResourceSpec): string {
  return resourceKey(spec.kind, kindNamed(spec.kind).identity.ofSpec(spec));
}

export function resource(spec: ResourceSpec, dependsOn: string[] = [], cluster = 'main'): DesiredResource {
  return { key: keyOf(spec), spec, dependsOn, origin: { cluster, step: 'base', module: 'base', location: { file: 'modules/base.yaml', line: 1, column: 1 } } };
}

export function node(name: string, resources: DesiredResource[], attrs: Partial<DesiredNode> = {}): DesiredNode {
  return {
    name,
    address: '192.0.2.1',
    port: 22,
    user: 'root',
    hostKey: fixtureHostKey(name),
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
    clusters: [{ name: 'main', nodes: nodes.map((n) => n.name).sort(), rollout: { ...DEFAULT_ROLLOUT_POLICY, maxUnavailable: batchSize } }],
  };
}

/** What a node looks like right after a successful apply of these resources (services running). */
export function appliedNode(resources: DesiredResource[], serviceHash: (s: DesiredService) => string): InventoryNode {
  const node: InventoryNode = { reachable: true, facts: {}, managed: {}, resources: {} };
  for (const r of resources) {
    node.managed[r.key] = { hash: hashOf(r.spec) };
    node.resources[r.key] = observedOf(r.spec as NodeResourceSpec, serviceHash);
  }
  return node;
}

function observedOf(spec: NodeResourceSpec, serviceHash: (s: DesiredService) => string): ObservedResource {
  switch (spec.kind) {
    case 'file':
      return { kind: 'file', path: spec.path, exists: true, sha256: spec.sha256, size: fileSize(spec), mode: spec.mode, owner: spec.owner, group: spec.group };
    case 'directory':
      return { kind: 'directory', path: spec.path, exists: true, mode: spec.mode, owner: spec.owner, group: spec.group };
    case 'symlink':
      return { kind: 'symlink', path: spec.path, exists: true, target: spec.target, owner: spec.owner, group: spec.group };
    case 'service':
      return { kind: 'service', name: spec.name, exists: true, definitionHash: serviceHash(spec), running: spec.enabled, enabled: spec.enabled };
    case 'command':
      return { kind: 'command', name: spec.name, ...(spec.creates ? { createsExists: true } : {}), ...(spec.unless ? { unlessExitCode: 0 } : {}) };
    case 'certificate':
      return { kind: 'certificate', name: spec.name, exists: true };
  }
}

export function inventory(nodes: Record<string, InventoryNode>, observedAt = '2025-01-01T00:00:00Z'): Inventory {
  return { apiVersion: INVENTORY_API_VERSION, kind: 'Inventory', observedAt, nodes, pools: {}, zones: {} };
}
