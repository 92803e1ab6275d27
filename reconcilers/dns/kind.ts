/**
 * The dns kind: a record in a DNSZone (`cluster.dns`: `<node>.<zone>` for every node of the cluster, their
 * PTRs in the site's reverse zones, and the records a cluster lists), rendered by resolve
 * (controller/resolve/dns-records.ts). The inventory lists only records whose ownership record names this
 * site, so one no longer in Git is removed (unless its zone is `upsert-only`); records others hold at a
 * name Git wants are conflicts, never changed; a zone that could not be read gets no changes at all.
 */
import type { Change } from '../../controller/model/change.js';
import { keyIdentity, resourceAddress } from '../../controller/model/resource-key.js';
import { recordValueMark } from '../../controller/model/record-value-mark.js';
import type { Target } from '../../controller/model/target.js';
import { NO_DETAILS, num, str } from '../details-support.js';
import type { ServiceKind } from '../kind.js';

export type DnsRecordType = 'A' | 'AAAA' | 'PTR' | 'CNAME' | 'SRV' | 'TXT';

export interface DesiredDnsRecord {
  kind: 'dns';
  /** The DNSZone document's name (as in the key and target). */
  zone: string;
  /** The zone's DNS name with trailing dot, and where the update goes: shown with the change. */
  apex?: string;
  server?: { address: string; port: number };
  tsigKeySecret?: string;
  /** Fully qualified owner name, with trailing dot. */
  name: string;
  type: DnsRecordType;
  /** Presentation form: an address, an absolute name (trailing dot), `PRIORITY WEIGHT PORT TARGET.`, or the TXT text. */
  value: string;
  ttl: number;
}

/** 'dns:<zone>/<name>/<type>' -> its zone, name and type. */
export function dnsKeyParts(key: string): { zone: string; name: string; type: string } {
  const [zone = '', name = '', type = ''] = keyIdentity(key).split('/');
  return { zone, name, type };
}

const zoneOf = (key: string): Target => ({ name: dnsKeyParts(key).zone, type: 'zone' });

export const dnsKind: ServiceKind<DesiredDnsRecord> = {
  kind: 'dns',
  target: 'zone',
  observed: (services) => {
    const out: Record<string, string> = {};
    for (const [zone, { records }] of Object.entries(services.zones)) for (const [nameAndType, value] of Object.entries(records)) out[`dns:${zone}/${nameAndType}`] = value;
    return out;
  },
  findings: (services) => {
    const unobserved: Record<string, string> = {};
    const heldElsewhere: Record<string, string> = {};
    const editedOutside = new Set<string>();
    const writtenMarks = new Map<string, string>();
    const assumedEmpty: Record<string, string> = {};
    for (const [zone, z] of Object.entries(services.zones)) {
      if (z.unreadable) unobserved[zone] = `zone ${zone} could not be read (${z.unreadable.code}: ${z.unreadable.message})`;
      if (z.notServed !== undefined) assumedEmpty[zone] = `zone ${zone} is not served yet: ${z.notServed}; planned as an empty zone, every create requiring its name to be free, after its server`;
      for (const [nameAndType, whose] of Object.entries(z.heldElsewhere ?? {})) heldElsewhere[`dns:${zone}/${nameAndType}`] = whose;
      for (const nameAndType of z.editedOutside ?? []) editedOutside.add(`dns:${zone}/${nameAndType}`);
      for (const [nameAndType, mark] of Object.entries(z.writtenMarks ?? {})) writtenMarks.set(`dns:${zone}/${nameAndType}`, mark);
    }
    return { unobserved, heldElsewhere, editedOutside, writtenMarks, assumedEmpty };
  },
  keeps: (target, desired) => (desired.zones?.[target.name]?.policy === 'upsert-only' ? `zone ${target.name} is upsert-only` : undefined),
  targetOf: zoneOf,
  diff({ desired, observed, editedOutside, writtenMark }) {
    const outside = editedOutside ? ', edited outside underlay' : '';
    if (desired === null) return { action: 'delete', reason: `no longer in Git: remove record (${observed})${outside}`, before: { value: observed }, after: null };
    if (observed === desired.value) return null;
    const after = { ...desired } as Record<string, unknown>;
    // Git wants the value underlay wrote, and someone changed or removed it since: drift (ADR 0028).
    const drift = writtenMark !== undefined && writtenMark === recordValueMark(desired.value);
    const marked = drift ? { drift } : {};
    if (observed === undefined) return { action: 'create', reason: `record ${desired.name} ${desired.type} ${desired.value} does not exist${drift ? ', deleted outside underlay' : ''}`, before: null, after, ...marked };
    return { action: 'update', reason: `value ${observed} -> ${desired.value}${outside}`, before: { value: observed }, after, ...marked };
  },
  details: (c: Change) => (c.after ? { attributes: [`${str(c.after.name)} ${num(c.after.ttl)} IN ${str(c.after.type)} ${str(c.after.value)}`], content: [] } : NO_DETAILS),
  // A record pointing at an address allocated in the same plan waits for the allocation.
  // A zone served by a node of the site waits for its server there (DNSZone server.node and service).
  order: {
    rank: 1,
    awaits: (c) => (c.after ? String(c.after.value) : undefined),
    servedBy: (target, desired) => {
      const by = desired.zones?.[target.name]?.servedBy;
      return by === undefined ? undefined : resourceAddress(by.node, by.resource);
    },
  },
};
