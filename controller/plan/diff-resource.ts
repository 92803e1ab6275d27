/**
 * Dispatches one node resource to the pure diff of its kind.
 */
import type { ObservedResource } from '../inventory/inventory.js';
import type { NodeResourceKind, NodeResourceSpec } from '../model/desired.js';
import type { DiffInput, DiffResult } from '../../reconcilers/kind-effects.js';
import { diffFile } from '../../reconcilers/file/diff.js';
import { diffDirectory } from '../../reconcilers/directory/diff.js';
import { diffService } from '../../reconcilers/service/diff.js';
import { diffCommand } from '../../reconcilers/command/diff.js';
import { diffCertificate } from '../../reconcilers/certificate/diff.js';

export const NODE_RESOURCE_KINDS: readonly NodeResourceKind[] = ['file', 'directory', 'service', 'command', 'certificate'];

/** The kind part of a resource key ('file:/etc/x' -> 'file'), or undefined for a key no reconciler knows. */
export function kindOfKey(key: string): NodeResourceKind | undefined {
  const kind = key.slice(0, key.indexOf(':'));
  return (NODE_RESOURCE_KINDS as readonly string[]).includes(kind) ? (kind as NodeResourceKind) : undefined;
}

type AnyDiffInput = DiffInput<NodeResourceSpec, ObservedResource>;

/** A probe that reports another kind under this key saw something else at the path: treat it as not observed. */
function observedOf<K extends ObservedResource['kind']>(kind: K, o: ObservedResource | undefined): Extract<ObservedResource, { kind: K }> | undefined {
  return o?.kind === kind ? (o as Extract<ObservedResource, { kind: K }>) : undefined;
}

function specOf<K extends NodeResourceKind>(kind: K, s: NodeResourceSpec | null): Extract<NodeResourceSpec, { kind: K }> | null {
  return s?.kind === kind ? (s as Extract<NodeResourceSpec, { kind: K }>) : null;
}

export function diffResource(kind: NodeResourceKind, input: AnyDiffInput): DiffResult | null {
  // One input object per kind, built field by field: this runs once per resource of the site.
  const { managedHash, desiredHash, serviceManager, now, serviceDefinitions } = input;
  switch (kind) {
    case 'file':
      return diffFile({ desired: specOf('file', input.desired), observed: observedOf('file', input.observed), managedHash, desiredHash, serviceManager, now, serviceDefinitions });
    case 'directory':
      return diffDirectory({ desired: specOf('directory', input.desired), observed: observedOf('directory', input.observed), managedHash, desiredHash, serviceManager, now, serviceDefinitions });
    case 'service':
      return diffService({ desired: specOf('service', input.desired), observed: observedOf('service', input.observed), managedHash, desiredHash, serviceManager, now, serviceDefinitions });
    case 'command':
      return diffCommand({ desired: specOf('command', input.desired), observed: observedOf('command', input.observed), managedHash, desiredHash, serviceManager, now, serviceDefinitions });
    case 'certificate':
      return diffCertificate({ desired: specOf('certificate', input.desired), observed: observedOf('certificate', input.observed), managedHash, desiredHash, serviceManager, now, serviceDefinitions });
  }
}
