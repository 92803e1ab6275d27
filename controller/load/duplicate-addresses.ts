/**
 * Two Node documents that reach the same machine (same address, SSH port and bastion) are one machine with
 * two names: each apply would prune what the other put there, and both would report success. Which of the
 * documents is wrong is for a person to decide, so every one of them is told.
 *
 * Addresses are compared as the machine sees them: IPv6 in its canonical form (`2001:DB8::0:1` is
 * `2001:db8::1`), an IPv4-mapped IPv6 address as the IPv4 address it maps, host names without case or a
 * final dot. A host name and an address that resolve to the same machine only meet at apply, where the
 * node leases find them (ADR 0008).
 */
import type { Diagnostic } from '../spec/diagnostic.js';
import { formatAddress, parseAddress } from '../model/ip.js';
import type { Catalog } from './catalog.js';
import { diagnosticAt } from './diagnostic-at.js';

const IPV4_MAPPED = 0xffffn;

/** The form of an address two spellings of one machine share. */
export function comparableAddress(text: string): string {
  const address = parseAddress(text);
  if (!address) return text.toLowerCase().replace(/\.$/, '');
  if (address.family === 6 && address.value >> 32n === IPV4_MAPPED) return formatAddress({ family: 4, value: address.value & 0xffffffffn });
  return formatAddress(address);
}

export function checkDuplicateAddresses(catalog: Catalog): Diagnostic[] {
  const defaultPort = catalog.site.doc.spec.ssh.port;
  const byEndpoint = new Map<string, string[]>();
  for (const name of Object.keys(catalog.nodes).sort()) {
    const spec = catalog.nodes[name]!.doc.spec;
    const endpoint = JSON.stringify([comparableAddress(spec.address), spec.ssh.port ?? defaultPort, spec.ssh.via ?? null]);
    byEndpoint.set(endpoint, [...(byEndpoint.get(endpoint) ?? []), name]);
  }
  const out: Diagnostic[] = [];
  for (const names of byEndpoint.values()) {
    if (names.length < 2) continue;
    for (const name of names) {
      const node = catalog.nodes[name]!;
      const others = names.filter((n) => n !== name).map((n) => `"${n}" (${catalog.nodes[n]!.location.file})`);
      const via = node.doc.spec.ssh.via === undefined ? '' : ` through bastion ${node.doc.spec.ssh.via}`;
      out.push(
        diagnosticAt(
          node,
          ['spec', 'address'],
          'DuplicateNodeAddress',
          `node ${others.join(', ')} has the same address, SSH port and bastion (${node.doc.spec.address} port ${node.doc.spec.ssh.port ?? defaultPort}${via}): ` +
            'two Node documents for one machine would each prune what the other manages there; keep one',
        ),
      );
    }
  }
  return out;
}
