/**
 * What a change applies to: a node (over SSH), an IP pool (the store's ledger), a DNS zone, a certificate
 * authority or a load balancer. The inventory is keyed by target, and apply routes each change to the
 * reconciler of its target's type (docs/adr/0010-targets-and-providers.md).
 */
export type TargetType = 'node' | 'pool' | 'zone' | 'ca' | 'lb';

export interface Target {
  type: TargetType;
  /** The Node, IPPool, DNSZone, CertificateAuthority or load balancer document's name. */
  name: string;
}

/**
 * The target as one string, where one column or lane holds nodes and services alike (text plans, the journal,
 * status, apply's per-target lanes): a node's name, else `<type>:<name>` ('pool:lab', 'zone:example').
 * Change ids begin with it.
 */
export function targetLabel(target: Target): string {
  return target.type === 'node' ? target.name : `${target.type}:${target.name}`;
}

export const sameTarget = (a: Target, b: Target): boolean => a.type === b.type && a.name === b.name;

/** Members in key order, as the planner builds every value (canonical-json.ts writes those natively). */
export const nodeTarget = (name: string): Target => ({ name, type: 'node' });
