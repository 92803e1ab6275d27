/** `<node>.<zone>.` A/AAAA records for every node of a cluster that asks for them (`cluster.dns`). */
import { formatAddress, parseAddress } from '../model/ip.js';
import type { Spec } from '../spec/spec.js';
import type { DesiredServiceResource } from '../model/desired.js';
import { UncheckedSpec } from './unchecked-spec.js';
import type { DesiredDnsRecord } from '../../reconcilers/dns/kind.js';

export const absoluteName = (name: string): string => (name.endsWith('.') ? name : `${name}.`);

/** `members`: cluster name -> its nodes, sorted. Nodes addressed by host name get no record. */
export function clusterDnsRecords(spec: Spec, members: ReadonlyMap<string, readonly string[]>): DesiredServiceResource[] {
  const out: DesiredServiceResource[] = [];
  for (const clusterName of [...members.keys()].sort()) {
    const cluster = spec.clusters[clusterName]!;
    const dns = cluster.doc.spec.dns;
    if (!dns || !dns.nodeRecords) continue;
    const zone = spec.zones[dns.zone];
    if (!zone) throw new UncheckedSpec(`cluster "${clusterName}": no DNSZone "${dns.zone}"`);
    const apex = absoluteName(zone.doc.spec.zone);
    for (const node of members.get(clusterName)!) {
      const address = parseAddress(spec.nodes[node]!.doc.spec.address);
      if (!address) continue;
      const type = address.family === 6 ? 'AAAA' : 'A';
      const name = `${node}.${apex}`;
      const record: DesiredDnsRecord = {
        kind: 'dns',
        zone: dns.zone,
        name,
        type,
        value: formatAddress(address),
        ttl: zone.doc.spec.ttl,
        apex,
        server: { address: zone.doc.spec.server.address, port: zone.doc.spec.server.port },
        tsigKeySecret: zone.doc.spec.tsigKeySecret,
      };
      out.push({ key: `dns:${dns.zone}/${name}/${type}`, target: { name: dns.zone, type: 'zone' }, spec: record, origin: { cluster: clusterName, step: 'dns', module: '', location: cluster.locate(['spec', 'dns']) } });
    }
  }
  return out;
}
