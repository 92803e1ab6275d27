/**
 * A DNSZone's server is reached at an `address`, or is run by a node of the site (`node`, serving the zone
 * as its `service`): exactly one of the two, and a node server names both the node and the service, so the
 * plan knows what the zone's changes wait for. Whether that node really renders the service is known only
 * once the modules are rendered (controller/resolve/zone-servers.ts).
 */
import type { Diagnostic } from '../spec/diagnostic.js';
import type { Catalog } from './catalog.js';
import { diagnosticAt } from './diagnostic-at.js';
import type { Unknowns } from './unreadable-documents.js';

export function checkZoneServers(catalog: Catalog, unknowns: Unknowns): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const name of Object.keys(catalog.zones).sort()) {
    const zone = catalog.zones[name]!;
    const { address, node, service } = zone.doc.spec.server;
    const at = (field: string, code: 'SchemaViolation' | 'DanglingReference', message: string) => out.push(diagnosticAt(zone, ['spec', 'server', field], code, message));
    if ((address === undefined) === (node === undefined)) {
      out.push(diagnosticAt(zone, ['spec', 'server'], 'SchemaViolation', 'a DNSZone server needs exactly one of "address" (a server elsewhere) or "node" (a node of the site that runs it)'));
      continue;
    }
    if (node === undefined) {
      if (service !== undefined) at('service', 'SchemaViolation', '"service" names what a node of the site serves the zone as: it needs "node"');
      continue;
    }
    if (!Object.hasOwn(catalog.nodes, node) && !unknowns.mayDeclare('Node', node)) at('node', 'DanglingReference', `no Node named "${node}"`);
    if (service === undefined) at('node', 'SchemaViolation', `"node" needs "service": the service on ${node} that serves the zone, which its changes wait for`);
  }
  return out;
}
