/**
 * A zone's records as underlay's plan holds them (presentation text, absolute names with a trailing dot) and
 * as the DNS client sends them, and the UPDATE change group of one record: the record and its ownership
 * record, guarded by the value observed when planned (RFC 2136 §2.4). Reading an AXFR back into what this
 * site owns is here too. Pure.
 */
import type { InventoryZone } from '../model/observed.js';
import { canonicalAddress } from '../model/ip.js';
import { byCodeUnit } from '../model/order.js';
import type { ChangeGroup, Prerequisite, UpdateOperation } from '../services/dns/update-message.js';
import { DNS_RECORD_TYPES, type DnsRecord, type DnsRecordType } from '../services/dns/wire.js';
import { ownedRecordOf, ownershipOf, ownershipRecordName, ownershipRecordValue } from './zone-ownership.js';
import { recordValueMark } from '../model/record-value-mark.js';
import type { ZoneWrite } from './zone-provider.js';

/** Values of one name and type, when there are several (a person added one): sorted, joined so. */
const VALUE_SEPARATOR = ', ';
const MAX_TXT_STRING = 255;

const dotted = (name: string): string => `${name}.`;
const bare = (name: string): string => name.replace(/\.$/, '').toLowerCase();

function txtStrings(text: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const ch of text) {
    if (Buffer.byteLength(current + ch) > MAX_TXT_STRING) {
      out.push(current);
      current = '';
    }
    current += ch;
  }
  return [...out, current];
}

const SRV = /^(\d+) (\d+) (\d+) (\S+)$/;

/** One value of `type` in presentation form as the client's record. */
export function wireRecord(name: string, type: string, value: string, ttl: number): DnsRecord {
  const owner = bare(name);
  switch (type as DnsRecordType) {
    case 'A':
    case 'AAAA':
      return { name: owner, ttl, type: type as 'A' | 'AAAA', data: value };
    case 'PTR':
    case 'CNAME':
      return { name: owner, ttl, type: type as 'PTR' | 'CNAME', data: bare(value) };
    case 'SRV': {
      const m = SRV.exec(value);
      if (!m) throw new TypeError(`SRV value "${value}" is not "PRIORITY WEIGHT PORT TARGET"`);
      return { name: owner, ttl, type: 'SRV', data: { priority: Number(m[1]), weight: Number(m[2]), port: Number(m[3]), target: bare(m[4]!) } };
    }
    case 'TXT':
      return { name: owner, ttl, type: 'TXT', data: txtStrings(value) };
    default:
      throw new TypeError(`record type ${type} is not one underlay writes`);
  }
}

/** A record the client read, in presentation form. */
export function presentationValue(r: DnsRecord): string {
  switch (r.type) {
    case 'A':
    case 'AAAA':
      return canonicalAddress(r.data);
    case 'PTR':
    case 'CNAME':
      return dotted(r.data);
    case 'SRV':
      return `${r.data.priority} ${r.data.weight} ${r.data.port} ${dotted(r.data.target)}`;
    case 'TXT':
      return r.data.join('');
  }
}

/** An RRset's values as one inventory value; `splitValues` undoes it (a TXT value is always one). */
export const joinValues = (values: readonly string[]): string => [...values].sort(byCodeUnit).join(VALUE_SEPARATOR);
export const splitValues = (type: string, value: string): string[] => (type === 'TXT' ? [value] : value.split(VALUE_SEPARATOR));

/** A record to write or remove, and the site its ownership record names. */
export interface ChangeOfRecord extends ZoneWrite {
  site: string;
}

/**
 * Prerequisites: a create wants the name and type still empty (and no CNAME there, or for a CNAME no data at
 * all: a server silently drops what would break that rule); an update or delete wants the record to hold
 * exactly the value observed and its ownership record to exist. The record and its ownership record are
 * written or deleted together.
 */
export function changeGroup(c: ChangeOfRecord): ChangeGroup {
  const { record } = c;
  const name = bare(record.name);
  const type = record.type as DnsRecordType;
  const owner = bare(ownershipRecordName(record.name, record.type));
  const prerequisites: Prerequisite[] =
    c.before === null
      ? [type === 'CNAME' ? { kind: 'nameNotInUse', name } : { kind: 'rrsetAbsent', name, type }, ...(type === 'CNAME' ? [] : [{ kind: 'rrsetAbsent' as const, name, type: 'CNAME' as const }])]
      : [
          { kind: 'rrsetEquals', name, type, records: splitValues(type, c.before).map((v) => wireRecord(name, type, v, 0)) },
          { kind: 'rrsetExists', name: owner, type: 'TXT' },
        ];
  const clear: UpdateOperation[] = [
    { kind: 'deleteRRset', name, type },
    { kind: 'deleteRRset', name: owner, type: 'TXT' },
  ];
  const write: UpdateOperation[] = c.remove
    ? []
    : [
        { kind: 'add', record: wireRecord(name, type, record.value, record.ttl) },
        { kind: 'add', record: { name: owner, ttl: record.ttl, type: 'TXT', data: [ownershipRecordValue(c.site, record.value)] } },
      ];
  return { id: c.id, prerequisites, operations: [...clear, ...write] };
}

const WRITTEN_TYPES = new Set<string>(DNS_RECORD_TYPES);

type Claims = Map<string, { site: string; mark?: string }[]>;

/** A zone's records by '<name>/<type>': the ownership records' claims, and the values of the record sets underlay writes. */
function claimsAndRecordSets(records: readonly DnsRecord[]): { owners: Claims; rrsets: Map<string, string[]> } {
  const owners: Claims = new Map();
  const rrsets = new Map<string, string[]>();
  for (const r of records) {
    const owned = r.type === 'TXT' ? ownedRecordOf(r.name) : null;
    if (owned && r.type === 'TXT') {
      const ownership = ownershipOf(r.data.join(''));
      if (ownership) owners.set(`${dotted(owned.name)}/${owned.type}`, [...(owners.get(`${dotted(owned.name)}/${owned.type}`) ?? []), ownership]);
      continue;
    }
    if (!WRITTEN_TYPES.has(r.type)) continue;
    const key = `${dotted(r.name)}/${r.type}`;
    rrsets.set(key, [...(rrsets.get(key) ?? []), presentationValue(r)]);
  }
  return { owners, rrsets };
}

/**
 * What a site owns of a zone read whole, and who holds the rest: a record is this site's when an ownership
 * record at its ownership name names the site; it was edited outside underlay when its value's digest is not
 * the one that ownership record carries, and deleted outside underlay when only its ownership record is left.
 */
export function ownedRecords(site: string, records: readonly DnsRecord[]): InventoryZone {
  const { owners, rrsets } = claimsAndRecordSets(records);
  const zone: Required<Pick<InventoryZone, 'records' | 'heldElsewhere' | 'writtenMarks'>> & { editedOutside: string[] } = { records: {}, heldElsewhere: {}, editedOutside: [], writtenMarks: {} };
  for (const key of [...rrsets.keys()].sort(byCodeUnit)) {
    const value = joinValues(rrsets.get(key)!);
    const claims = owners.get(key) ?? [];
    const mine = claims.find((o) => o.site === site);
    if (!mine) {
      zone.heldElsewhere[key] = claims.length > 0 ? `owned by site ${claims[0]!.site}` : 'not managed by underlay';
      continue;
    }
    zone.records[key] = value;
    if (mine.mark !== undefined && mine.mark !== recordValueMark(value)) {
      zone.editedOutside.push(key);
      zone.writtenMarks[key] = mine.mark;
    }
  }
  // Its ownership record without the record: deleted outside underlay, which writes and removes both at once.
  for (const [key, claims] of owners) {
    const mark = claims.find((o) => o.site === site)?.mark;
    if (mark !== undefined && !rrsets.has(key)) zone.writtenMarks[key] = mark;
  }
  return zone;
}
