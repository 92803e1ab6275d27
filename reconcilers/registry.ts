/**
 * Every resource kind, in one list: the one place a kind is registered for every stage (its effects, when
 * it is applied, are registered in effects.ts). Pure. The order is the format's: the schema's alternatives,
 * the probe script's arms and the `kind:key` pattern list the kinds in it.
 */
import { certificateKind } from './certificate/kind.js';
import { commandKind } from './command/kind.js';
import { directoryKind } from './directory/kind.js';
import { dnsKind } from './dns/kind.js';
import { fileKind } from './file/kind.js';
import { ipKind } from './ip/kind.js';
import type { TargetType } from '../controller/model/target.js';
import type { NodeKind, ResourceKindDefinition, ServiceKind } from './kind.js';
import { secretFileKind } from './secret-file/kind.js';
import { serviceKind } from './service/kind.js';
import { symlinkKind } from './symlink/kind.js';

export interface KindRegistry {
  readonly kinds: readonly ResourceKindDefinition[];
  /** The kinds a module may declare under `resources:`, in the format's order. */
  readonly nodeKinds: readonly NodeKind[];
  readonly serviceKinds: readonly ServiceKind[];
  kindOf(name: string): ResourceKindDefinition | undefined;
  /** The kind of a resource on a node (declared in modules), or undefined for any other name. */
  nodeKind(name: string): NodeKind | undefined;
  /** The kind of a resource in a service target (pool, zone), or undefined for any other name. */
  serviceKind(name: string): ServiceKind | undefined;
  kindsFor(target: TargetType): ResourceKindDefinition[];
}

export function createRegistry(kinds: readonly ResourceKindDefinition[]): KindRegistry {
  const byName = new Map<string, ResourceKindDefinition>();
  for (const k of kinds) {
    if (byName.has(k.kind)) throw new Error(`resource kind ${k.kind} is registered twice`);
    byName.set(k.kind, k);
  }
  const nodeKinds = kinds.filter((k): k is NodeKind => k.target === 'node');
  const serviceKinds = kinds.filter((k): k is ServiceKind => k.target !== 'node');
  return {
    kinds,
    nodeKinds,
    serviceKinds,
    kindOf: (name) => byName.get(name),
    nodeKind: (name) => {
      const k = byName.get(name);
      return k?.target === 'node' ? k : undefined;
    },
    serviceKind: (name) => {
      const k = byName.get(name);
      return k !== undefined && k.target !== 'node' ? k : undefined;
    },
    kindsFor: (target) => kinds.filter((k) => k.target === target),
  };
}

export const registry: KindRegistry = createRegistry([fileKind, directoryKind, symlinkKind, secretFileKind, serviceKind, commandKind, certificateKind, ipKind, dnsKind]);
