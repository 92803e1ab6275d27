/**
 * The schema accepts an address as IPv4, IPv6 or host name, and "10.0.0.300" is a syntactically valid host
 * name. No real host name has an all-numeric last label (RFC 3696 section 2), so a dotted-number string that
 * is not an IPv4 address is a typo, caught here rather than at connect time.
 */
import type { Diagnostic } from '../spec/diagnostic.js';
import type { Catalog } from './catalog.js';
import { diagnosticAt } from './diagnostic-at.js';
import { parseAddress } from '../model/ip.js';

export function checkNumericAddresses(catalog: Catalog): Diagnostic[] {
  const out: Diagnostic[] = [];
  const check = (located: Parameters<typeof diagnosticAt>[0], path: string[], address: string): void => {
    if (isMistypedIpv4(address)) out.push(diagnosticAt(located, path, 'SchemaViolation', `"${address}" is not a valid IPv4 address (and a host name cannot end in a numeric label)`));
  };
  for (const name of Object.keys(catalog.nodes).sort()) check(catalog.nodes[name]!, ['spec', 'address'], catalog.nodes[name]!.doc.spec.address);
  for (const name of Object.keys(catalog.zones).sort()) {
    const address = catalog.zones[name]!.doc.spec.server.address;
    if (address !== undefined) check(catalog.zones[name]!, ['spec', 'server', 'address'], address);
  }
  return out;
}

export function isMistypedIpv4(address: string): boolean {
  const last = address.split('.').pop() ?? '';
  return /^\d+$/.test(last) && parseAddress(address) === null;
}
