/**
 * The DNS records a site wants (`cluster.dns`): `<node>.<zone>.` A/AAAA records for every node of a cluster
 * that asks for them, a PTR for each of those addresses in every reverse zone of the site that holds it
 * (`0.18.198.in-addr.arpa.`), and the records a cluster lists itself (a name for its VIP, CNAME, SRV, TXT).
 * Values are kept in presentation form, as the zone's provider writes and reads them.
 */
import { formatAddress, parseAddress, type Address } from '../model/ip.js';
import type { DNSZoneDoc } from '../spec/schema.js';
import type { Spec } from '../spec/spec.js';
import type { DesiredServiceResource, DesiredZone } from '../model/desired.js';
import type { SourceLocation } from '../model/source-location.js';
import { fieldPath } from '../spec/diagnostic.js';
import type { DiagnosticSink } from './diagnostic-sink.js';
import { UncheckedSpec } from './unchecked-spec.js';
import type { DesiredDnsRecord, DnsRecordType } from '../../reconcilers/dns/kind.js';

export const absoluteName = (name: string): string => (name.endsWith('.') ? name : `${name}.`);

const isReverse = (apex: string): boolean => apex.endsWith('.in-addr.arpa.') || apex.endsWith('.ip6.arpa.');

type ZoneServer = DNSZoneDoc['spec']['server'];

/** Where a zone's updates go: its `address`, or the address of the node that runs its server (load checked it has one of them). */
function serverAddress(spec: Spec, server: ZoneServer): string {
  const address = server.address ?? (server.node === undefined ? undefined : spec.nodes[server.node]?.doc.spec.address);
  if (address === undefined) throw new UncheckedSpec(`a DNSZone server with neither an address nor a node of the site`);
  return address;
}

/** Every DNSZone of the site, by document name. */
function allZones(spec: Spec): Record<string, DesiredZone> {
  const out: Record<string, DesiredZone> = {};
  for (const name of Object.keys(spec.zones).sort()) {
    const { zone, server, tsigKeySecret, policy } = spec.zones[name]!.doc.spec;
    const servedBy = server.node !== undefined && server.service !== undefined ? { servedBy: { node: server.node, resource: `service:${server.service}` } } : {};
    out[name] = { apex: absoluteName(zone.toLowerCase()), server: { address: serverAddress(spec, server), port: server.port }, ...servedBy, tsigKeySecret, policy };
  }
  return out;
}

/**
 * The DNSZones the site's clusters write to, by document name: each cluster's `dns.zone`, and the reverse
 * zones when a cluster has node records. These are observed (also with no record left in Git, so what it
 * owns there is pruned); a DNSZone no cluster uses is not read, and what it holds is left alone.
 */
export function desiredZones(spec: Spec): Record<string, DesiredZone> {
  const used = new Set<string>();
  let nodeRecords = false;
  for (const cluster of Object.values(spec.clusters)) {
    const dns = cluster.doc.spec.dns;
    if (!dns) continue;
    used.add(dns.zone);
    nodeRecords ||= dns.nodeRecords;
  }
  return Object.fromEntries(Object.entries(allZones(spec)).filter(([name, z]) => used.has(name) || (nodeRecords && isReverse(z.apex))));
}

/** The name a PTR record for `address` has: `11.0.18.198.in-addr.arpa.`, or the nibbles of an IPv6 address under ip6.arpa. */
export function reverseName(address: Address): string {
  if (address.family === 4) return `${formatAddress(address).split('.').reverse().join('.')}.in-addr.arpa.`;
  const nibbles = address.value.toString(16).padStart(32, '0').split('').reverse();
  return `${nibbles.join('.')}.ip6.arpa.`;
}

const inZone = (name: string, apex: string): boolean => name === apex || name.endsWith(`.${apex}`);

export interface ClusterDnsInput {
  spec: Spec;
  /** Cluster name -> its nodes, sorted. */
  members: ReadonlyMap<string, readonly string[]>;
  /** `<cluster>.<address name>` -> the address allocated for it in this plan or before. */
  clusterAddresses: ReadonlyMap<string, string>;
  sink: DiagnosticSink;
}

interface RecordPlace {
  cluster: string;
  zone: string;
  location: SourceLocation;
}

function recordResource(spec: Spec, place: RecordPlace, record: { name: string; type: DnsRecordType; value: string; ttl?: number | undefined }): DesiredServiceResource {
  const zone = spec.zones[place.zone]!.doc.spec;
  const desired: DesiredDnsRecord = {
    kind: 'dns',
    zone: place.zone,
    name: record.name,
    type: record.type,
    value: record.value,
    ttl: record.ttl ?? zone.ttl,
    apex: absoluteName(zone.zone.toLowerCase()),
    server: { address: serverAddress(spec, zone.server), port: zone.server.port },
    tsigKeySecret: zone.tsigKeySecret,
  };
  return {
    key: `dns:${place.zone}/${record.name}/${record.type}`,
    target: { name: place.zone, type: 'zone' },
    spec: desired,
    origin: { cluster: place.cluster, step: 'dns', module: '', location: place.location },
  };
}

/** `<node>.<zone>` for each node addressed by IP (one addressed by host name gets none), and its PTR in the reverse zones that hold the address. */
function nodeRecords(input: ClusterDnsInput, clusterName: string, apex: string): DesiredServiceResource[] {
  const { spec } = input;
  const cluster = spec.clusters[clusterName]!;
  const zoneName = cluster.doc.spec.dns!.zone;
  const location = cluster.locate(['spec', 'dns']);
  const reverseZones = Object.entries(allZones(spec)).filter(([, z]) => isReverse(z.apex));
  const out: DesiredServiceResource[] = [];
  for (const node of input.members.get(clusterName)!) {
    const address = parseAddress(spec.nodes[node]!.doc.spec.address);
    if (!address) continue;
    const name = `${node}.${apex}`;
    out.push(recordResource(spec, { cluster: clusterName, zone: zoneName, location }, { name, type: address.family === 6 ? 'AAAA' : 'A', value: formatAddress(address) }));
    const ptr = reverseName(address);
    for (const [reverseZone, z] of reverseZones) {
      if (inZone(ptr, z.apex)) out.push(recordResource(spec, { cluster: clusterName, zone: reverseZone, location }, { name: ptr, type: 'PTR', value: name }));
    }
  }
  return out;
}

const SRV = /^(\d{1,5}) (\d{1,5}) (\d{1,5}) (\S+)$/;

/** A listed record's value in presentation form, or why it is not one its type takes. */
function listedValue(type: DnsRecordType, value: string, apex: string): { value: string } | { problem: string } {
  const qualify = (n: string): string => (n === '@' ? apex : n.endsWith('.') ? n.toLowerCase() : `${n.toLowerCase()}.${apex}`);
  switch (type) {
    case 'A':
    case 'AAAA': {
      const address = parseAddress(value);
      if (!address || address.family !== (type === 'A' ? 4 : 6)) return { problem: `an ${type} record's value must be an IPv${type === 'A' ? 4 : 6} address, not "${value}"` };
      return { value: formatAddress(address) };
    }
    case 'CNAME':
    case 'PTR':
      return { value: qualify(value) };
    case 'SRV': {
      const m = SRV.exec(value);
      if (!m || [m[1], m[2], m[3]].some((n) => Number(n) > 65535)) return { problem: `an SRV record's value must be "PRIORITY WEIGHT PORT TARGET", not "${value}"` };
      return { value: `${Number(m[1])} ${Number(m[2])} ${Number(m[3])} ${qualify(m[4]!)}` };
    }
    case 'TXT':
      return { value };
  }
}

/** The records a cluster lists under `dns.records`. */
function listedRecords(input: ClusterDnsInput, clusterName: string, apex: string): DesiredServiceResource[] {
  const { spec, sink } = input;
  const cluster = spec.clusters[clusterName]!;
  const dns = cluster.doc.spec.dns!;
  const out: DesiredServiceResource[] = [];
  dns.records.forEach((entry, i) => {
    const path = ['spec', 'dns', 'records', i];
    const at = (field: (string | number)[]) => ({ location: cluster.locate(field), field: fieldPath(field) });
    let value = entry.value;
    if (typeof value !== 'string') {
      const address = input.clusterAddresses.get(`${clusterName}.${value.address}`);
      if (address === undefined) {
        sink.error('DanglingReference', `cluster "${clusterName}" allocates no address named "${value.address}" (spec.addresses)`, at([...path, 'value', 'address']));
        return;
      }
      value = address;
    }
    const checked = listedValue(entry.type, value, apex);
    if ('problem' in checked) {
      sink.error('SchemaViolation', checked.problem, at([...path, 'value']));
      return;
    }
    const name = entry.name === '@' ? apex : entry.name.endsWith('.') ? entry.name.toLowerCase() : `${entry.name.toLowerCase()}.${apex}`;
    if (!inZone(name, apex)) {
      sink.error('SchemaViolation', `${name} is not in zone ${apex}`, at([...path, 'name']));
      return;
    }
    out.push(recordResource(spec, { cluster: clusterName, zone: dns.zone, location: cluster.locate(path) }, { name, type: entry.type, value: checked.value, ttl: entry.ttl }));
  });
  return out;
}

export function clusterDnsRecords(input: ClusterDnsInput): DesiredServiceResource[] {
  const { spec, members } = input;
  const out: DesiredServiceResource[] = [];
  for (const clusterName of [...members.keys()].sort()) {
    const dns = spec.clusters[clusterName]!.doc.spec.dns;
    if (!dns) continue;
    const zone = spec.zones[dns.zone];
    if (!zone) throw new UncheckedSpec(`cluster "${clusterName}": no DNSZone "${dns.zone}"`);
    const apex = absoluteName(zone.doc.spec.zone.toLowerCase());
    if (dns.nodeRecords) out.push(...nodeRecords(input, clusterName, apex));
    out.push(...listedRecords(input, clusterName, apex));
  }
  return out;
}
