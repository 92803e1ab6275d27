/**
 * One entry of a module's `resources:` list, `{<kind>: {...}}`, read through its kind (the schema has
 * checked it holds exactly one registered kind's key).
 */
import type { FieldPath, NodeKind } from '../../reconcilers/kind.js';
import { registry } from '../../reconcilers/registry.js';
import type { ModuleResource } from './schema.js';

export interface ResourceEntry {
  kind: NodeKind;
  /** The object under the kind's key. */
  doc: unknown;
}

/** By entry object: a module's entries are the same objects on every node of every step using it. */
const entries = new WeakMap<ModuleResource, ResourceEntry>();

export function resourceEntry(entry: ModuleResource): ResourceEntry {
  const known = entries.get(entry);
  if (known) return known;
  for (const name of Object.keys(entry)) {
    const kind = registry.nodeKind(name);
    if (!kind) continue;
    const found = { kind, doc: (entry as Record<string, unknown>)[name] };
    entries.set(entry, found);
    return found;
  }
  throw new TypeError(`a module resource of no registered kind: ${Object.keys(entry).join(', ')}`);
}

export interface ResourceIdentity {
  kind: string;
  /** Path for files and directories, name for the others: what `kind:key` references name. */
  key: string;
  /** Field path of the key inside the resource entry, e.g. ['file', 'path']. */
  keyField: FieldPath;
}

export function resourceIdentity(entry: ModuleResource): ResourceIdentity {
  const { kind, doc } = resourceEntry(entry);
  const identity = kind.identity.of(doc);
  return { kind: kind.kind, key: identity.value, keyField: [kind.kind, ...identity.field] };
}
