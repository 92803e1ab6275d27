/**
 * RFC 2136 UPDATE messages for one zone: prerequisites (§2.4), additions and deletions (§2.5), and the split
 * of many changes into messages under a size and a record-count bound. A change group (the operations that
 * belong together and the prerequisites they rest on) is never split, so every message is self-contained:
 * the server accepts or rejects each one whole, on its own prerequisites. Pure.
 */
import { UnderlayError } from '../../model/errors.js';
import { canonicalName, encodeHeader, encodeQuestion, encodeRecord, OPCODE_UPDATE, type DnsRecord, type DnsRecordType, type WireRecord } from './wire.js';

export type Prerequisite =
  /** Value-dependent (§2.4.2): the RRset is exactly these records (their TTLs are not compared). */
  | { kind: 'rrsetEquals'; name: string; type: DnsRecordType; records: readonly DnsRecord[] }
  | { kind: 'rrsetExists'; name: string; type: DnsRecordType }
  | { kind: 'rrsetAbsent'; name: string; type: DnsRecordType }
  | { kind: 'nameInUse'; name: string }
  | { kind: 'nameNotInUse'; name: string };

export type UpdateOperation =
  | { kind: 'add'; record: DnsRecord }
  /** Deletes every record of the name and type (class ANY). */
  | { kind: 'deleteRRset'; name: string; type: DnsRecordType }
  /** Deletes this one record (class NONE). */
  | { kind: 'deleteRecord'; record: DnsRecord };

/** Operations that stand or fall together, with the prerequisites they rest on. `id` names it in reports. */
export interface ChangeGroup {
  id: string;
  prerequisites: readonly Prerequisite[];
  operations: readonly UpdateOperation[];
}

export interface UpdateMessage {
  zone: string;
  groups: readonly ChangeGroup[];
}

export interface MessageBounds {
  /** Bytes of the message before its TSIG record; a TCP DNS message is at most 65,535 bytes. */
  maxBytes: number;
  /** Records in the prerequisite and update sections together: how much one server transaction holds. */
  maxRecords: number;
}

/** Room left under 65,535 for the TSIG record (a long key name, a 32-byte MAC, and the server's other data). */
export const DEFAULT_BOUNDS: MessageBounds = { maxBytes: 65_535 - 512, maxRecords: 2_000 };

export class UpdateMessageError extends UnderlayError<{ zone: string; group: string }> {
  declare readonly code: 'DnsNameOutsideZone' | 'DnsChangeGroupTooLarge' | 'DnsRecordInvalid';

  constructor(code: UpdateMessageError['code'], where: { zone: string; group: string }, message: string) {
    super({ code, message, data: where });
  }
}

function prerequisiteRecords(p: Prerequisite): WireRecord[] {
  switch (p.kind) {
    case 'rrsetEquals':
      return p.records.map((r) => ({ name: p.name, type: p.type, class: 'IN', ttl: 0, data: r.data }));
    case 'rrsetExists':
      return [{ name: p.name, type: p.type, class: 'ANY', ttl: 0 }];
    case 'rrsetAbsent':
      return [{ name: p.name, type: p.type, class: 'NONE', ttl: 0 }];
    case 'nameInUse':
      return [{ name: p.name, type: 'ANY', class: 'ANY', ttl: 0 }];
    case 'nameNotInUse':
      return [{ name: p.name, type: 'ANY', class: 'NONE', ttl: 0 }];
  }
}

function operationRecord(o: UpdateOperation): WireRecord {
  switch (o.kind) {
    case 'add':
      return { name: o.record.name, type: o.record.type, class: 'IN', ttl: o.record.ttl, data: o.record.data };
    case 'deleteRRset':
      return { name: o.name, type: o.type, class: 'ANY', ttl: 0 };
    case 'deleteRecord':
      return { name: o.record.name, type: o.record.type, class: 'NONE', ttl: 0, data: o.record.data };
  }
}

export function isInZone(name: string, zone: string): boolean {
  const n = canonicalName(name);
  const z = canonicalName(zone);
  return n === z || n.endsWith(`.${z}`);
}

interface EncodedGroup {
  group: ChangeGroup;
  prerequisites: Buffer[];
  updates: Buffer[];
  bytes: number;
}

// Splitting encodes every group to measure it; sending (and bisecting) reuses those bytes instead of
// encoding them again, which at 10,000 records was a third of a sync's time.
const encoded = new WeakMap<ChangeGroup, EncodedGroup & { zone: string }>();

function encodeGroup(zone: string, group: ChangeGroup): EncodedGroup {
  const cached = encoded.get(group);
  if (cached?.zone === zone) return cached;
  const fresh = { ...encodeGroupOnce(zone, group), zone };
  encoded.set(group, fresh);
  return fresh;
}

function encodeGroupOnce(zone: string, group: ChangeGroup): EncodedGroup {
  const wire = (r: WireRecord): Buffer => {
    if (!isInZone(r.name, zone)) throw new UpdateMessageError('DnsNameOutsideZone', { zone, group: group.id }, `change ${group.id}: ${r.name} is not in zone ${zone}`);
    // dns-packet writes a TXT string's length into one byte without a check: a longer one would corrupt the message.
    if (r.type === 'TXT' && r.data && (r.data as readonly string[]).some((t) => Buffer.byteLength(t) > 255)) {
      throw new UpdateMessageError('DnsRecordInvalid', { zone, group: group.id }, `change ${group.id}: a TXT string of ${r.name} is longer than 255 bytes; split it into several strings`);
    }
    return encodeRecord(r);
  };
  const prerequisites = group.prerequisites.flatMap(prerequisiteRecords).map(wire);
  const updates = group.operations.map(operationRecord).map(wire);
  const bytes = [...prerequisites, ...updates].reduce((n, b) => n + b.length, 0);
  return { group, prerequisites, updates, bytes };
}

function assemble(zone: string, id: number, groups: readonly EncodedGroup[]): Buffer {
  const prerequisites = groups.flatMap((g) => g.prerequisites);
  const updates = groups.flatMap((g) => g.updates);
  const header = encodeHeader({ id, opcode: OPCODE_UPDATE, counts: [1, prerequisites.length, updates.length, 0] });
  return Buffer.concat([header, encodeQuestion(zone, 'SOA'), ...prerequisites, ...updates]);
}

/** The unsigned wire form of one UPDATE message with the given message id. */
export function encodeUpdate(message: UpdateMessage, id: number): Buffer {
  return assemble(message.zone, id, message.groups.map((g) => encodeGroup(message.zone, g)));
}

/**
 * Packs the groups, in order, into as few messages as the bounds allow. Throws UpdateMessageError for a
 * name outside the zone, or a group that alone exceeds the bounds.
 */
export function splitIntoMessages(zone: string, groups: readonly ChangeGroup[], bounds: MessageBounds = DEFAULT_BOUNDS): UpdateMessage[] {
  const fixed = 12 + encodeQuestion(zone, 'SOA').length;
  const messages: UpdateMessage[] = [];
  let current: ChangeGroup[] = [];
  let bytes = fixed;
  let records = 0;
  for (const g of groups.map((group) => encodeGroup(zone, group))) {
    const count = g.prerequisites.length + g.updates.length;
    if (fixed + g.bytes > bounds.maxBytes || count > bounds.maxRecords) {
      throw new UpdateMessageError('DnsChangeGroupTooLarge', { zone, group: g.group.id }, `change ${g.group.id}: ${count} records, ${fixed + g.bytes} bytes, over one message's bounds (${bounds.maxRecords} records, ${bounds.maxBytes} bytes)`);
    }
    if (current.length > 0 && (bytes + g.bytes > bounds.maxBytes || records + count > bounds.maxRecords)) {
      messages.push({ zone, groups: current });
      current = [];
      bytes = fixed;
      records = 0;
    }
    current.push(g.group);
    bytes += g.bytes;
    records += count;
  }
  if (current.length > 0) messages.push({ zone, groups: current });
  return messages;
}
