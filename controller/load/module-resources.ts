import type { ModuleResource } from '../spec/schema.js';

export type ResourceKind = 'file' | 'directory' | 'service' | 'command' | 'certificate';

export interface ResourceIdentity {
  kind: ResourceKind;
  /** Path for files and directories, name for the others: what `kind:key` references name. */
  key: string;
  /** Field path of the key inside the resource entry, e.g. ['file', 'path']. */
  keyField: [ResourceKind, 'path' | 'name'];
}

export function resourceIdentity(resource: ModuleResource): ResourceIdentity {
  if ('file' in resource) return { kind: 'file', key: resource.file.path, keyField: ['file', 'path'] };
  if ('directory' in resource) return { kind: 'directory', key: resource.directory.path, keyField: ['directory', 'path'] };
  if ('service' in resource) return { kind: 'service', key: resource.service.name, keyField: ['service', 'name'] };
  if ('command' in resource) return { kind: 'command', key: resource.command.name, keyField: ['command', 'name'] };
  return { kind: 'certificate', key: resource.certificate.name, keyField: ['certificate', 'name'] };
}

/** `file:/etc/app.conf` -> the identity it names. */
export function parseResourceRef(ref: string): { kind: string; key: string } {
  const colon = ref.indexOf(':');
  return { kind: ref.slice(0, colon), key: ref.slice(colon + 1) };
}
