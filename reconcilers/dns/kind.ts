/**
 * The dns kind: an A or AAAA record in a DNSZone (`cluster.dns`: `<node>.<zone>` for every node of the
 * cluster), rendered by resolve (controller/resolve/dns-records.ts). Every record in the inventory's list
 * was written by underlay, so one no longer in Git is removed.
 */
import { keyIdentity } from '../../controller/model/resource-key.js';
import { NO_DETAILS, num, str } from '../details-support.js';
import type { ServiceKind } from '../kind.js';

export interface DesiredDnsRecord {
  kind: 'dns';
  /** The DNSZone document's name (as in the key and target). */
  zone: string;
  /** The zone's DNS name with trailing dot, and where to send the update: apply needs nothing but the plan. */
  apex?: string;
  server?: { address: string; port: number };
  tsigKeySecret?: string;
  /** Fully qualified owner name, with trailing dot. */
  name: string;
  type: 'A' | 'AAAA';
  value: string;
  ttl: number;
}

export const dnsKind: ServiceKind<DesiredDnsRecord> = {
  kind: 'dns',
  target: 'zone',
  observed: (services) => {
    const out: Record<string, string> = {};
    for (const [zone, { records }] of Object.entries(services.zones)) for (const [nameAndType, value] of Object.entries(records)) out[`dns:${zone}/${nameAndType}`] = value;
    return out;
  },
  targetOf: (key) => {
    const identity = keyIdentity(key);
    return { name: identity.slice(0, identity.indexOf('/')), type: 'zone' };
  },
  diff({ desired, observed }) {
    if (desired === null) return { action: 'delete', reason: `no longer in Git: remove record (${observed})`, before: { value: observed }, after: null };
    if (observed === desired.value) return null;
    const after = { ...desired } as Record<string, unknown>;
    if (observed === undefined) return { action: 'create', reason: `record ${desired.name} ${desired.type} ${desired.value} does not exist`, before: null, after };
    return { action: 'update', reason: `value ${observed} -> ${desired.value}`, before: { value: observed }, after };
  },
  details: (c) => (c.after ? { attributes: [`${str(c.after.name)} ${num(c.after.ttl)} IN ${str(c.after.type)} ${str(c.after.value)}`], content: [] } : NO_DETAILS),
  // A record pointing at an address allocated in the same plan waits for the allocation.
  order: { rank: 1, awaits: (c) => (c.after ? String(c.after.value) : undefined) },
};
