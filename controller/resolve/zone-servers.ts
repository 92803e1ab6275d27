/**
 * A DNSZone served by a node of the site (`server: {node, service}`) names a service that some step renders
 * on that node: the zone's changes wait for it, and while the node does not run it the zone counts as not
 * served. A service no step renders there would make both silently wrong, so it is an error at the field.
 */
import { resourceKey } from '../model/resource-key.js';
import { fieldPath } from '../spec/diagnostic.js';
import type { Spec } from '../spec/spec.js';
import type { PlacedResource } from './dependencies.js';
import type { DiagnosticSink } from './diagnostic-sink.js';

export interface ZoneServerScope {
  spec: Spec;
  placed: ReadonlyMap<string, readonly PlacedResource[]>;
  /** Nodes with a step left unrendered (facts pending): what they will render is not known yet. */
  pendingNodes: ReadonlySet<string>;
  sink: DiagnosticSink;
}

const SERVICE_FIELD = ['spec', 'server', 'service'];

export function checkZoneServers({ spec, placed, pendingNodes, sink }: ZoneServerScope): void {
  for (const name of Object.keys(spec.zones).sort()) {
    const zone = spec.zones[name]!;
    const { node, service } = zone.doc.spec.server;
    if (node === undefined || service === undefined || pendingNodes.has(node)) continue;
    const key = resourceKey('service', service);
    if ((placed.get(node) ?? []).some((r) => r.key === key)) continue;
    sink.error('DanglingReference', `DNSZone "${name}": no step renders service "${service}" on node ${node}, so nothing serves the zone there`, {
      location: zone.locate(SERVICE_FIELD),
      field: fieldPath(SERVICE_FIELD),
    });
  }
}
