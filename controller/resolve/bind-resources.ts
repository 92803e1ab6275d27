/**
 * The last pass of resolve over the placed resources: a kind that needs what only the whole site knows
 * (a certificate: the names and addresses its node may have, and its authority's policy) gets it through its
 * `bind` facet, and reports at its own field in Git what the site does not allow it.
 */
import { registry } from '../../reconcilers/registry.js';
import type { SiteBinding } from '../../reconcilers/kind.js';
import type { SourceLocation } from '../model/source-location.js';
import { fieldPath } from '../spec/diagnostic.js';
import { resourceEntry } from '../spec/module-resource.js';
import type { PlacedResource } from './dependencies.js';
import type { DiagnosticSink } from './diagnostic-sink.js';
import { authoritiesFor, type EntitlementInputs } from './node-entitlements.js';

const sameLocation = (a: SourceLocation, b: SourceLocation): boolean => a.file === b.file && a.line === b.line && a.column === b.column;

/** Where a field of a placed resource is in its module: its entry found by the entry's location. */
function fieldPlace(inputs: EntitlementInputs, r: PlacedResource, field: readonly (string | number)[]): { location: SourceLocation; field: string } {
  const module = inputs.spec.modules[r.origin.module];
  const index = module?.doc.spec.resources.findIndex((_, i) => sameLocation(module.locate(['spec', 'resources', i]), r.origin.location)) ?? -1;
  if (!module || index < 0) return { location: r.origin.location, field: field.join('.') };
  const path = ['spec', 'resources', index, resourceEntry(module.doc.spec.resources[index]!).kind.kind, ...field];
  return { location: module.locate(path), field: fieldPath(path) };
}

export function bindResources(inputs: EntitlementInputs, placed: Map<string, PlacedResource[]>, sink: DiagnosticSink): void {
  const authority = authoritiesFor(inputs);
  for (const [node, resources] of placed) {
    for (const r of resources) {
      const kind = registry.nodeKind(r.spec.kind);
      if (!kind?.bind) continue;
      const binding: SiteBinding = {
        node,
        authority: (name) => authority(node, name),
        report: (field, code, message) => sink.error(code, message, { ...fieldPlace(inputs, r, field), node }),
      };
      r.spec = kind.bind(r.spec, binding);
    }
  }
}
