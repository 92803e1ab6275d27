/**
 * What the site gives each node to be named by in its certificates (principle 5: the controller signs only
 * what the site's policy allows for that node): its own name and address, its names in the zones of its
 * clusters (`<node>.<zone>`), the names its clusters declare for their members (`cluster.certificates.
 * memberNames`), the cluster addresses of its clusters (VIPs from IPPools, which every member may serve
 * behind) and its own per-node addresses (`<cluster>.<name>.<node>`). A CertificateAuthority's
 * policy then narrows it: which nodes it issues to, under which DNS suffixes, from which pools. Pure: from
 * the spec and what resolve has already decided (cluster members, allocations).
 */
import type { AuthorityForNode } from '../../reconcilers/kind.js';
import type { DesiredIpAllocation } from '../../reconcilers/ip/kind.js';
import type { DesiredServiceResource } from '../model/desired.js';
import { canonicalAddress, parseAddress } from '../model/ip.js';
import { byCodeUnit } from '../model/order.js';
import { selectableNode, selectNodes } from '../spec/node-selector.js';
import { referencedFilePath } from '../spec/repository-path.js';
import type { Spec } from '../spec/spec.js';
import { UncheckedSpec } from './unchecked-spec.js';

/** `{{ zone }}` in a member name. */
const ZONE = /\{\{ ?zone ?\}\}/;

interface GivenAddress {
  address: string;
  /** The pool it was allocated from; none for the node's own address. */
  pool?: string;
}

/** Everything the site gives one node, before any authority's policy. */
interface GivenToNode {
  names: string[];
  addresses: GivenAddress[];
}

export interface EntitlementInputs {
  spec: Spec;
  /** cluster -> its nodes. */
  members: ReadonlyMap<string, readonly string[]>;
  services: readonly DesiredServiceResource[];
}

const zoneApex = (spec: Spec, zone: string): string | undefined => spec.zones[zone]?.doc.spec.zone.replace(/\.$/, '');

function givenTo({ spec, members, services }: EntitlementInputs, node: string): GivenToNode {
  const names = new Set<string>();
  const addresses: GivenAddress[] = [];
  const own = spec.nodes[node]!.doc.spec.address;
  if (parseAddress(own)) addresses.push({ address: canonicalAddress(own) });
  const allocations = new Map(services.filter((s) => s.spec.kind === 'ip').map((s) => [s.key, s.spec as DesiredIpAllocation]));
  for (const [cluster, nodes] of [...members].sort(([a], [b]) => byCodeUnit(a, b))) {
    if (!nodes.includes(node)) continue;
    const c = spec.clusters[cluster]!.doc.spec;
    const apex = c.dns ? zoneApex(spec, c.dns.zone) : undefined;
    if (apex !== undefined) names.add(`${node}.${apex}`);
    for (const name of c.certificates?.memberNames ?? []) {
      // A name in the cluster's zone, when the cluster has none, is no name of the node's.
      if (apex !== undefined) names.add(name.replaceAll(new RegExp(ZONE, 'g'), apex));
      else if (!ZONE.test(name)) names.add(name);
    }
    for (const request of c.addresses) {
      // The cluster's address (a VIP its members serve behind), and the node's own one of a per-node address (`<name>.<node>`).
      for (const key of [`ip:${request.pool}/${cluster}.${request.name}`, `ip:${request.pool}/${cluster}.${request.name}.${node}`]) {
        const allocation = allocations.get(key);
        if (allocation) addresses.push({ address: canonicalAddress(allocation.address), pool: request.pool });
      }
    }
  }
  return { names: [...names], addresses };
}

const sorted = (values: Iterable<string>): string[] => [...new Set(values)].sort(byCodeUnit);

/** The CA certificate's PEM: inline, or the file load read beside the document. */
export function authorityCertificate(spec: Spec, name: string): string {
  const ca = spec.certificateAuthorities[name]!;
  if (ca.doc.spec.certificate !== undefined) return ca.doc.spec.certificate;
  const file = referencedFilePath(ca.location.file, ca.doc.spec.certificateFile ?? '');
  if (file === null || !Object.hasOwn(spec.templates, file)) throw new UncheckedSpec(`CertificateAuthority "${name}": its certificate file was not read by load`);
  return spec.templates[file]!;
}

/** Each node's view of every authority, computed on first ask. */
export function authoritiesFor(inputs: EntitlementInputs): (node: string, authority: string) => AuthorityForNode | undefined {
  const given = new Map<string, GivenToNode>();
  return (node, name) => {
    const ca = inputs.spec.certificateAuthorities[name];
    if (!ca) return undefined;
    let mine = given.get(node);
    if (!mine) given.set(node, (mine = givenTo(inputs, node)));
    const policy = ca.doc.spec.policy;
    const issuesToNode = selectNodes([selectableNode(inputs.spec.nodes[node]!.doc)], policy.nodes).length === 1;
    const suffixes = policy.allowedDnsSuffixes.map((s) => s.toLowerCase().replace(/^\.|\.$/g, ''));
    const underSuffix = (n: string): boolean => suffixes.length === 0 || suffixes.some((s) => n === s || n.endsWith(`.${s}`));
    const pools = new Set(policy.allowedPools);
    return {
      name,
      certificate: authorityCertificate(inputs.spec, name),
      keySecret: ca.doc.spec.keySecret,
      policy: { maxValidityDays: policy.maxValidityDays, keyTypes: [...policy.keyTypes], usages: [...policy.usages] },
      issuesToNode,
      entitlement: {
        node,
        // Its own name is always the node's; other names only under the authority's suffixes.
        dnsNames: issuesToNode ? sorted([node, ...mine.names.filter(underSuffix)]) : [],
        ipAddresses: issuesToNode ? sorted(mine.addresses.filter((a) => a.pool === undefined || pools.has(a.pool)).map((a) => a.address)) : [],
      },
    };
  };
}
